// The small part of net-snmp (https://github.com/markabrahams/node-net-snmp) the agent uses;
// the package ships no types.
declare module 'net-snmp' {
  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }
  export interface Session {
    get(oids: string[], callback: (error: Error | null, varbinds: Varbind[]) => void): void;
    close(): void;
    on(event: 'error', listener: (error: Error) => void): void;
  }
  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    backoff?: number;
    transport?: 'udp4' | 'udp6';
    version?: number;
    idBitsSize?: 16 | 32;
  }
  export interface V3User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }
  /** The agent side, as the simulated PDU uses it (v3 security; its own GET step). */
  export interface Agent {
    getAuthorizer(): { addUser(user: V3User): void };
    onMsg(socket: unknown, buffer: Buffer, rinfo: unknown): void;
    getRequest(socket: unknown, message: unknown, rinfo: unknown): void;
    sendResponse(socket: unknown, rinfo: unknown, message: unknown, responsePdu: unknown): void;
    close(callback?: () => void): void;
  }
  export interface AgentOptions {
    port?: number;
    address?: string;
    disableAuthorization?: boolean;
    dgramModule?: { createSocket(transport: string): unknown };
  }
  const snmp: {
    Version2c: number;
    Version3: number;
    SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
    AuthProtocols: { md5: number; sha: number; sha224: number; sha256: number; sha384: number; sha512: number };
    PrivProtocols: { des: number; aes: number; aes256b: number; aes256r: number };
    ObjectType: Record<string, number>;
    createSession(target: string, community: string, options?: SessionOptions): Session;
    createV3Session(target: string, user: V3User, options?: SessionOptions): Session;
    createAgent(options: AgentOptions, callback: (error: Error | null, data?: unknown) => void): Agent;
    isVarbindError(varbind: Varbind): boolean;
    varbindError(varbind: Varbind): string;
  };
  export default snmp;
}
