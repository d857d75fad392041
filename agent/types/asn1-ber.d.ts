// The part of asn1-ber (net-snmp's BER codec) the simulated PDU uses; the package ships no types.
declare module 'asn1-ber' {
  class BerReader {
    constructor(data: Buffer);
    readonly offset: number;
    readonly length: number;
    readSequence(tag?: number): number | null;
    readInt(tag?: number): number;
    readString(tag?: number): string;
    readOID(tag?: number): string;
    readByte(peek?: boolean): number | null;
  }
  class BerWriter {
    readonly buffer: Buffer;
    startSequence(tag?: number): void;
    endSequence(): void;
    writeInt(value: number, tag?: number): void;
    writeString(value: string, tag?: number): void;
    writeOID(value: string, tag?: number): void;
    writeByte(value: number): void;
  }
  const asn1: { BerReader: typeof BerReader; BerWriter: typeof BerWriter };
  export default asn1;
}
