"""Training stage of edge-sentiment (installed as ``edge_sentiment_export``).

Needs the ``train`` extra (TensorFlow, tf2onnx, onnx, matplotlib), except
:mod:`.data`, :mod:`.config`, :mod:`.destination` and :mod:`.results`, which the
CLI uses without TensorFlow. Modules, in the order the work flows:

    data         read aclImdb (tarball or folder), optional checksummed download
    vocab        count training-set words, build vocab.json
    config       TrainingConfig and the named presets
    destination  refuse to clobber --out; swap a finished bundle into place
    model        build the Keras model a config describes
    train        fit with early stopping, write history JSON + PNG
    serving      the lean serving graph of the bag + RNN model, for ONNX
    convert      Keras -> ONNX (tf2onnx) and -> TFLite (builtin ops)
    fuse_rnn     replace tf2onnx's SimpleRNN Loop by the ONNX RNN op
    parity       compare Keras, ONNX, TFLite and NumPy outputs
    exporter     the whole pipeline behind ``edge-sentiment export``
    results      the results table, from bundle manifests
"""
