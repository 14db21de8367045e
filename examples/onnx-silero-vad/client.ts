/**
 * Sends real audio to examples/onnx-silero-vad: a generated 3 s signal at 16 kHz (quiet noise, then a voiced,
 * vowel-like sound with a 140 Hz fundamental, its harmonics and a syllable rhythm, then noise again), window by
 * window, each with the state the previous answer returned; several streams at once, so windows of different
 * streams share batches. Prints each stream's speech probability over time.
 *
 * Run the server, then: node examples/onnx-silero-vad/client.ts
 * Environment: SERVER_URL (default http://127.0.0.1:8000), STREAMS (default 4).
 */
import { ModelClient } from '../../src/client/index.ts';
import { SAMPLE_RATE, STATE_SIZE, WINDOW } from './server.ts';

/** A generated test signal: `seconds` of 16-bit PCM, voiced between 1 s and 2 s. */
export function testSignal(seconds = 3, seed = 1): Int16Array {
  let random = seed;
  const noise = (): number => {
    random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
    return random / 2 ** 31 - 0.5;
  };
  const pcm = new Int16Array(seconds * SAMPLE_RATE);
  for (let i = 0; i < pcm.length; i++) {
    const t = i / SAMPLE_RATE;
    let sample = 0.002 * noise();
    if (t >= 1 && t < 2) {
      const syllable = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t); // about four syllables a second
      let voiced = 0;
      for (let harmonic = 1; harmonic <= 20; harmonic++) {
        const frequency = 140 * harmonic;
        const formant =
          Math.exp(-(((frequency - 700) / 300) ** 2)) + 0.5 * Math.exp(-(((frequency - 1200) / 400) ** 2));
        voiced += (formant / harmonic) * Math.sin(2 * Math.PI * frequency * t);
      }
      sample += 0.3 * syllable * voiced + 0.01 * noise();
    }
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(sample * 32767)));
  }
  return pcm;
}

/** Sends `pcm` window by window, carrying the state; returns the speech probability of each window. */
export async function detect(client: ModelClient, pcm: Int16Array): Promise<number[]> {
  let state: Float32Array<ArrayBuffer> = new Float32Array(STATE_SIZE);
  const probabilities: number[] = [];
  for (let start = 0; start + WINDOW <= pcm.length; start += WINDOW) {
    const result = await client.inferSample({ pcm: pcm.subarray(start, start + WINDOW), state: state });
    probabilities.push((result.probability!.data as Float32Array)[0]!);
    state = result.state!.data as Float32Array<ArrayBuffer>;
  }
  return probabilities;
}

if (import.meta.main) {
  const url = process.env.SERVER_URL ?? 'http://127.0.0.1:8000';
  const streams = Number(process.env.STREAMS ?? 4);
  await using client = new ModelClient(url, 'silero_vad');
  const results = await Promise.all(Array.from({ length: streams }, (_, i) => detect(client, testSignal(3, i + 1))));
  const windowMs = (WINDOW / SAMPLE_RATE) * 1000;
  results.forEach((probabilities, stream) => {
    const bar = probabilities.map((p) => (p > 0.5 ? '#' : '.')).join('');
    const speech = probabilities.filter((p) => p > 0.5).length * windowMs;
    console.log(`stream ${stream}: ${bar}  (${speech.toFixed(0)} ms of speech, one mark per ${windowMs} ms)`);
  });
}
