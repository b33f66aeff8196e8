/// The names of the filters and tests this interpreter provides, and the errors for other names.
enum TemplateBuiltins {
    static let filters: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "forceescape", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
        "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson",
        "trim", "truncate", "unique", "upper", "wordcount",
    ]

    static let tests: Set<String> = [
        "!=", "<", "<=", "==", ">", ">=", "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even",
        "false", "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping", "ne",
        "none", "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper",
    ]

    /// Jinja2's built-in filters and tests that this interpreter does not provide.
    static let jinja2Only: Set<String> = [
        "filesizeformat", "format", "groupby", "pprint", "random", "slice", "striptags", "urlencode", "urlize", "wordwrap",
        "xmlattr", "filter", "test",
    ]

    /// A filter this interpreter lacks, named where it is parsed.
    static func unknownFilter(_ name: String) -> ChatTemplateError {
        ChatTemplateError(.unsupported, "unsupported filter '\(name)'")
    }

    /// A test this interpreter lacks, named where it is parsed.
    static func unknownTest(_ name: String) -> ChatTemplateError {
        ChatTemplateError(.unsupported, "unsupported test '\(name)'")
    }

    /// A filter that is reached at run time (in an `if` block or inline `if`, where Jinja2 lets the template compile)
    /// but does not exist: Jinja2's own error for names it does not know either.
    static func missingFilter(_ name: String) -> ChatTemplateError {
        jinja2Only.contains(name) ? unknownFilter(name) : ChatTemplateError(.runtime, "No filter named '\(name)' found.")
    }

    /// Like ``missingFilter(_:)``, for tests.
    static func missingTest(_ name: String) -> ChatTemplateError {
        jinja2Only.contains(name) ? unknownTest(name) : ChatTemplateError(.runtime, "No test named '\(name)' found.")
    }
}
