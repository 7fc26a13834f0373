/**
 * The BMP decoder's worker thread: decodes one BMP at a time to 8-bit luminance, so that a
 * 4096×4096 file (~270 ms of JavaScript) never runs on the API's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { DomainError } from '../errors.js';
import { decodeBmp } from './bmp.js';
import { toGray } from './pixels.js';

export interface BmpTask {
  id: number;
  bytes: Uint8Array;
}

export type BmpResult =
  | { id: number; width: number; height: number; gray: Uint8Array }
  | { id: number; error: { statusCode: number; code: string; message: string } };

parentPort?.on('message', ({ id, bytes }: BmpTask) => {
  let result: BmpResult;
  try {
    const raster = decodeBmp(bytes);
    result = { id, width: raster.width, height: raster.height, gray: toGray(raster) };
  } catch (err) {
    // A read past the end of the buffer is a RangeError: the file is shorter than it says.
    result =
      err instanceof DomainError
        ? { id, error: { statusCode: err.statusCode, code: err.code, message: err.message } }
        : {
            id,
            error: {
              statusCode: 400,
              code: 'INVALID_IMAGE',
              message: 'image could not be decoded: BMP is truncated or corrupt',
            },
          };
  }
  parentPort!.postMessage(result, 'gray' in result ? [result.gray.buffer as ArrayBuffer] : []);
});
