import { clearLine, cursorTo } from 'node:readline';

/**
 * Progress of one long step. On a TTY a single line is redrawn at most 10 times a second;
 * elsewhere (CI, logs) one plain line is printed per 10% (docs/design.md#command).
 */
export interface Progress {
  start(step: string, totalBytes?: number): void;
  advance(bytes: number): void;
  done(): void;
}

const redrawIntervalMs = 100;

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  enabled: boolean,
): Progress {
  let step = '';
  let total = 0;
  let seen = 0;
  let lastDecile = -1;
  let lastDraw = 0;
  const tty = stream.isTTY === true;

  function percent(): number {
    return total > 0 ? Math.min(100, Math.floor((seen / total) * 100)) : 0;
  }

  function draw(force: boolean): void {
    if (!enabled) return;
    if (tty) {
      const now = Date.now();
      if (!force && now - lastDraw < redrawIntervalMs) return;
      lastDraw = now;
      const width = 30;
      const filled = Math.round((percent() / 100) * width);
      const bar =
        total > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent()}%` : '';
      cursorTo(stream, 0);
      clearLine(stream, 0);
      stream.write(`${step} ${bar}`);
      return;
    }
    const decile = Math.floor(percent() / 10);
    if (total > 0 && decile !== lastDecile) {
      lastDecile = decile;
      stream.write(`${step}: ${decile * 10}%\n`);
    }
  }

  return {
    start(name, totalBytes) {
      step = name;
      total = totalBytes ?? 0;
      seen = 0;
      lastDecile = -1;
      if (enabled && !tty && total === 0) stream.write(`${step}…\n`);
      draw(true);
    },
    advance(bytes) {
      seen += bytes;
      draw(false);
    },
    done() {
      if (!enabled) return;
      seen = total;
      if (tty) {
        draw(true);
        stream.write('\n');
      } else if (total > 0 && lastDecile !== 10) {
        stream.write(`${step}: 100%\n`);
      }
    },
  };
}
