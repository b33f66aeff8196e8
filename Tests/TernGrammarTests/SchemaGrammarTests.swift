import TernJSON
import Testing

@testable import TernGrammar

/// The grammar of each schema feature accepts the documents that validate and refuses those that do not.
@Suite struct SchemaGrammarTests {
    func grammar(_ schema: String) throws -> Grammar {
        try JSONSchemaCompiler.grammar(for: JSONValue.parse(Array(schema.utf8)))
    }

    func check(_ schema: String, accepts valid: [String], refuses invalid: [String], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let grammar = try grammar(schema)
        for document in valid {
            #expect(grammar.accepts(Array(document.utf8)), "should accept \(document)", sourceLocation: sourceLocation)
        }
        for document in invalid {
            #expect(!grammar.accepts(Array(document.utf8)), "should refuse \(document)", sourceLocation: sourceLocation)
        }
    }

    @Test func objectsKeepTheDeclaredOrderAndTheRequiredProperties() throws {
        let schema = #"""
            {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},
             "required":["name","tags"],"additionalProperties":false}
            """#
        try check(
            schema,
            accepts: [
                #"{"name":"a","tags":[]}"#, #"{"name": "a", "age": 3, "tags": ["x", "y"]}"#,
                "{\n  \"name\": \"é😀\\n\",\n  \"tags\": [\"\\u00e9\"]\n}",
            ],
            refuses: [
                #"{"tags":[],"name":"a"}"#, #"{"name":"a"}"#, #"{"name":"a","tags":[],"x":1}"#, #"{"name":"a","age":1.5,"tags":[]}"#,
                #"{"name":"a\"#, #"{"name":"\ud800","tags":[]}"#, "{\"name\":\"a\u{01}\",\"tags\":[]}",
                #"{"name":"a","tags":[]}  "#, #"{"name":"a",                                      "tags":[]}"#,
            ])
    }

    @Test func optionalPropertiesMayBeLeftOutInAnyCombination() throws {
        let schema = #"{"type":"object","properties":{"a":{"type":"null"},"b":{"type":"null"},"c":{"type":"null"}}}"#
        try check(
            schema,
            accepts: ["{}", #"{"a":null}"#, #"{"b":null}"#, #"{"a":null,"c":null}"#, #"{"a":null,"b":null,"c":null}"#],
            refuses: [#"{,"a":null}"#, #"{"a":null,}"#, #"{"b":null,"a":null}"#, #"{"a":null"b":null}"#])
    }

    @Test func enumsConstsAndTypeLists() throws {
        try check(
            #"{"enum":["red",1,null,{"a":[true]}]}"#, accepts: [#""red""#, "1", "null", #"{"a":[true]}"#],
            refuses: [#""blue""#, "2", #"{"a":[false]}"#])
        try check(#"{"const":"x\"y"}"#, accepts: [#""x\"y""#], refuses: [#""x""#])
        try check(#"{"type":["string","null"]}"#, accepts: [#""""#, "null"], refuses: ["0", "true"])
        try check(#"{"type":"boolean"}"#, accepts: ["true", "false"], refuses: ["null", "1"])
    }

    @Test func integerBoundsIncludingNegativeAndExclusiveOnes() throws {
        let schema = #"{"type":"integer","minimum":-12,"exclusiveMaximum":105}"#
        let grammar = try grammar(schema)
        for value in -30...130 {
            #expect(grammar.accepts(Array(String(value).utf8)) == (-12...104).contains(value), "\(value)")
        }
        #expect(!grammar.accepts(Array("-0".utf8)))
        #expect(!grammar.accepts(Array("007".utf8)))
        let open = try self.grammar(#"{"type":"integer","minimum":7}"#)
        #expect(open.accepts(Array("123456789".utf8)) && open.accepts(Array("7".utf8)) && !open.accepts(Array("6".utf8)))
    }

    @Test func numbersWithBoundsHaveFractionsOnlyWhereTheyFit() throws {
        let grammar = try grammar(#"{"type":"number","minimum":-2,"maximum":3}"#)
        for text in ["-2", "-1.99", "0", "0.5", "2.999", "3"] { #expect(grammar.accepts(Array(text.utf8)), "\(text)") }
        for text in ["-2.5", "3.1", "4", "1e2", "-3"] { #expect(!grammar.accepts(Array(text.utf8)), "\(text)") }
        try check(#"{"type":"number"}"#, accepts: ["0", "-1.25", "3e10", "1E-2"], refuses: ["01", ".5", "1.", "+1", "1e123"])
    }

    @Test func arraysWithBoundsAndPrefixItems() throws {
        try check(
            #"{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3}"#, accepts: ["[1,2]", "[1, 2, 3]"],
            refuses: ["[]", "[1]", "[1,2,3,4]", "[1,,2]"])
        try check(
            #"{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false}"#, accepts: [#"["a",1]"#],
            refuses: [#"["a"]"#, #"["a",1,2]"#, #"[1,"a"]"#])
    }

    @Test func stringLengthsFormatsAndPatterns() throws {
        try check(#"{"type":"string","minLength":2,"maxLength":3}"#, accepts: [#""ab""#, #""é\"c""#], refuses: [#""a""#, #""abcd""#])
        try check(
            #"{"type":"string","format":"date"}"#, accepts: [#""2024-02-28""#, #""1999-12-31""#],
            refuses: [#""2024-02-30""#, #""2024-13-01""#, #""2024-4-01""#])
        try check(
            #"{"type":"string","format":"date-time"}"#, accepts: [#""2024-02-28T23:59:59Z""#, #""2024-02-28T00:00:00.5+05:30""#],
            refuses: [#""2024-02-28T24:00:00Z""#, #""2024-02-28 00:00:00Z""#])
        try check(
            #"{"type":"string","format":"uuid"}"#, accepts: [#""123e4567-e89b-12d3-a456-426614174000""#],
            refuses: [#""123e4567e89b12d3a456426614174000""#])
        try check(#"{"type":"string","format":"email"}"#, accepts: [#""a.b+c@example.co.uk""#], refuses: [#""a@b""#, #""@b.c""#])
        try check(
            #"{"type":"string","pattern":"^[A-Z]{2}-\\d{3,4}$"}"#, accepts: [#""AB-123""#, #""XY-9876""#],
            refuses: [#""ab-123""#, #""AB-12""#, #""AB-12345""#, #"" AB-123""#])
        try check(#"{"type":"string","pattern":"b(a|o)t"}"#, accepts: [#""bat""#, #""a robot!""#], refuses: [#""bit""#])
        try check(
            #"{"type":"string","pattern":"^\"[^\"]*\"$"}"#, accepts: [#""\"quoted é\"""#], refuses: [#""\"a\"b\"""#, #""x""#])
    }

    @Test func referencesAndRecursion() throws {
        let schema = #"""
            {"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},
             "required":["value","children"],"additionalProperties":false}},"$ref":"#/$defs/node"}
            """#
        try check(
            schema, accepts: [#"{"value":1,"children":[{"value":2,"children":[]},{"value":3,"children":[{"value":4,"children":[]}]}]}"#],
            refuses: [#"{"value":1,"children":[{"value":2}]}"#])
        try check(
            ##"{"anyOf":[{"type":"integer"},{"type":"object","properties":{"x":{"$ref":"#"}},"required":["x"]}]}"##,
            accepts: ["1", #"{"x":{"x":2}}"#], refuses: [#"{"x":"a"}"#])
    }

    @Test func jsonObjectModeAcceptsAnyObjectOnly() throws {
        let grammar = JSONSchemaCompiler.anyObjectGrammar()
        #expect(grammar.accepts(Array(#"{"a":[1,{"b":null}],"c":"d"}"#.utf8)))
        #expect(grammar.accepts(Array("{}".utf8)))
        #expect(!grammar.accepts(Array("[1]".utf8)))
        #expect(!grammar.accepts(Array("\"x\"".utf8)))
    }

    @Test func whatCannotBeEnforcedIsRefusedByName() throws {
        let cases: [(String, String)] = [
            (#"{"type":"string","minLenght":3}"#, "minLenght"),
            (#"{"type":"number","multipleOf":3}"#, "multipleOf"),
            (#"{"type":"array","uniqueItems":true}"#, "uniqueItems"),
            (#"{"allOf":[{"type":"string"},{"minLength":1}]}"#, "allOf"),
            (#"{"oneOf":[{"type":"integer"},{"type":"number"}]}"#, "oneOf"),
            (#"{"type":"string","format":"hostname"}"#, "hostname"),
            (#"{"type":"string","pattern":"(a)\\1"}"#, "back-references"),
            (#"{"type":"string","pattern":"(?=a)"}"#, "look-around"),
            (#"{"$ref":"https://example.com/schema"}"#, "$ref"),
            (##"{"$ref":"#/$defs/missing"}"##, "points at nothing"),
            (##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##, "circular"),
            (#"{"type":"integer","minimum":5,"maximum":4}"#, "bounds"),
            (#"{"type":"objekt"}"#, "type"),
            ("false", "false"),
        ]
        for (schema, word) in cases {
            #expect(throws: SchemaError.self, "\(schema)") { try grammar(schema) }
            do {
                _ = try grammar(schema)
            } catch let error as SchemaError {
                #expect(error.message.contains(word), "\(schema): \(error.message)")
            }
        }
    }
}
