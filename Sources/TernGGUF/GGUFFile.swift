// PLACEHOLDER: the GGUF reader lands with its own change.
