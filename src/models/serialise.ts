import * as tf from '@tensorflow/tfjs';

/** The model as the files `tf.loadLayersModel('…/model.json')` fetches. */
export async function serialiseModel(model: tf.LayersModel): Promise<{ modelJson: Buffer; weights: Buffer }> {
  let out: { modelJson: Buffer; weights: Buffer } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData ?? new ArrayBuffer(0);
      const weights = Buffer.concat((Array.isArray(data) ? data : [data]).map((b) => Buffer.from(b)));
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      out = { modelJson: Buffer.from(JSON.stringify(json)), weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

/** The model back from the two files serialiseModel wrote. */
export function deserialiseModel(modelJson: Buffer, weights: Buffer): Promise<tf.LayersModel> {
  const parsed = JSON.parse(modelJson.toString('utf8')) as tf.io.ModelJSON;
  const weightSpecs = parsed.weightsManifest.flatMap((group) => group.weights);
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs, weightData }));
}
