"""Training stage of edge-sentiment (installed as ``edge_sentiment_export``).

Needs the ``train`` extra (TensorFlow, tf2onnx, onnx, matplotlib), except
:mod:`.data`, :mod:`.config`, :mod:`.destination` and :mod:`.results`, which the
CLI uses without TensorFlow. Modules, in the order the work flows:

    data         read aclImdb (tarball or folder), optional checksummed download
    vocab        count training-set words, build vocab.json
    config       TrainingConfig and the named presets
    destination  refuse to clobber --out; swap a finished bundle into place
    architectures  each architecture's Keras layers, weights as arrays, ONNX variants, manifest record
    layers       the Keras layers the architectures share
    model        build the Keras model a config describes (its architecture + the output layer)
    optimizers   the optimizer a config names (Adam in TensorFlow's fused kernel)
    train        fit with early stopping, write history JSON + PNG
    labeled_files  training data from CSV / TSV / JSON Lines / label folders
    snippets     short texts cut from longer ones; calibration: the score calibration
    onnx_graphs  every ONNX file: tf2onnx conversion (variants lean / fused / as-converted),
                 the lean serving graph, the RNN fusion, the one-text graph
    int8         model.int8.onnx, and the ONNX spec's arithmetic that proves it CPU-independent
    tflite       Keras -> TFLite (builtin ops)
    parity       compare Keras, ONNX, TFLite and NumPy outputs
    exporter     the whole pipeline behind ``edge-sentiment export``
    upgrade      older bundles to the current format
    results      the results table, from bundle manifests
"""
