// PLACEHOLDER: the engine lands with its own change.
