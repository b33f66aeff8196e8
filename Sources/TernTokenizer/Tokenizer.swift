// PLACEHOLDER: the tokenizer lands with its own change.
