/// The names of the filters and tests this interpreter provides; templates using any other name fail to parse.
enum TemplateBuiltins {
    static let filters: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "forceescape", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
        "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson",
        "trim", "truncate", "unique", "upper", "wordcount",
    ]

    static let tests: Set<String> = [
        "!=", "<", "<=", "==", ">", ">=", "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even",
        "false", "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lower", "lt", "mapping", "ne", "none",
        "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper",
    ]
}
