"""Training stage of edge-sentiment (installed as ``edge_sentiment_export``).

Needs the ``train`` extra (TensorFlow, tf2onnx, onnx, matplotlib). Only
:mod:`.data` is free of TensorFlow, so the runtime's ``evaluate`` command can
read the IMDB test split without it. Modules, in the order the work flows:

    data      read aclImdb (tarball or folder), optional checksummed download
    vocab     count training-set words, build vocab.json
    config    TrainingConfig and the named presets
    model     build the Keras model a config describes
    train     fit with early stopping, write history JSON + PNG
    convert   Keras -> ONNX (tf2onnx) and -> TFLite (builtin ops)
    parity    compare Keras, ONNX and TFLite outputs
    exporter  the whole pipeline behind ``edge-sentiment export``
"""
