// What every browser test sets up the same way (harness.mjs starts things, helpers.mjs drives
// pages): the people of the story, each in a browser of their own (own cookie jar), every page
// watched for failed requests, 5xx answers, script errors and CSP refusals, and `evidence(step, fn)`
// that runs one step, asserts none of that happened, and on failure adds what a reader needs to
// the error: each page's address and screenshot, and the tails of the processes' output.
import assert from 'node:assert/strict';
import { launchBrowser, screenshot } from './harness.mjs';
import { requestsInFlight, watchPage } from './helpers.mjs';

const WRANGLER_TAIL_LINES = 25;

/**
 * @param {string} prefix names the failure screenshots: FAILED-<prefix>-<step>-<person>.png
 */
export function browserTest(prefix) {
  /** person → { context, page, close } */
  const people = {};
  /** [label, () => process | undefined, characters] for processes whose output a failure shows */
  const tails = [];
  let problems = [];

  const session = {
    /** the wrangler dev the people browse (startServer's answer), once `open` ran */
    server: undefined,
    people,
    /** Adds a problem the step must not have (watchPage's reports, or a test's own console rule). */
    report: (message) => problems.push(message),

    /** Starts a browser per person against `server`, each page watched. */
    async open(server, names) {
      session.server = server;
      await Promise.all(
        names.map(async (name) => {
          people[name] = await launchBrowser({ baseURL: server.baseURL });
          watchPage(name, people[name].page, session.report);
        }),
      );
      return people;
    },

    page: (name) => people[name].page,

    /** A failing step also shows the last `characters` of this process's output (agent, simulator). */
    showOutput(label, getProcess, characters = 3000) {
      tails.push([label, getProcess, characters]);
    },

    /** Stops the given processes first (whatever happened), then the browsers, then wrangler dev. */
    async close(...processes) {
      await Promise.all(processes.map((process) => process?.stop()));
      await Promise.all(Object.values(people).map((browser) => browser.close()));
      await session.server?.stop();
    },

    async evidence(step, fn) {
      problems = [];
      try {
        await fn();
        assert.deepEqual(problems, [], 'a page had failed requests, 5xx answers, script errors or CSP refusals');
      } catch (error) {
        for (const [who, browser] of Object.entries(people)) {
          for (const [i, page] of browser.context.pages().entries()) {
            const shot = await screenshot(page, `FAILED-${prefix}-${step}-${who}${i ? `-${i}` : ''}`).catch(() => null);
            error.message += `\n  ${who} page: ${page.url()}${shot ? ` (screenshot: ${shot})` : ''}`;
            const pending = requestsInFlight(page);
            if (pending.length) error.message += `\n    requests in flight: ${pending.join(', ')}`;
          }
        }
        for (const [label, getProcess, characters] of tails) {
          const process = getProcess();
          if (process) error.message += `\n  ${label} output (tail):\n${process.logs().slice(-characters)}`;
        }
        // The last lines only: CI's report keeps the start of a failure, so the newest lines must fit.
        if (session.server) error.message += `\n  wrangler output (last lines):\n${session.server.logs().trimEnd().split('\n').slice(-WRANGLER_TAIL_LINES).join('\n')}`;
        throw error;
      }
    },
  };
  return session;
}
