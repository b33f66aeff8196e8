import TernTokenizer

/// A small JSON reader for the fixtures that keeps object key order and Python's int/float distinction, which
/// Foundation's JSON APIs do not.
struct FixtureJSON {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    private let bytes: [UInt8]
    private var index = 0

    static func parse(_ text: String) throws -> TemplateValue {
        var reader = FixtureJSON(bytes: Array(text.utf8))
        let value = try reader.value()
        reader.skipSpace()
        guard reader.index == reader.bytes.count else { throw ParseError(description: "trailing data at \(reader.index)") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else {
            throw ParseError(description: "expected \(Character(Unicode.Scalar(byte))) at \(index)")
        }
        index += 1
    }

    private mutating func literal(_ word: String, _ value: TemplateValue) throws -> TemplateValue {
        let w = Array(word.utf8)
        guard bytes.count >= index + w.count, Array(bytes[index..<index + w.count]) == w else {
            throw ParseError(description: "bad literal at \(index)")
        }
        index += w.count
        return value
    }

    private mutating func value() throws -> TemplateValue {
        skipSpace()
        guard index < bytes.count else { throw ParseError(description: "unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var object = TemplateObject()
            skipSpace()
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            }
            repeat {
                skipSpace()
                let key = try string()
                try expect(UInt8(ascii: ":"))
                object[key] = try value()
                skipSpace()
                index += 1
            } while bytes[index - 1] == UInt8(ascii: ",")
            guard bytes[index - 1] == UInt8(ascii: "}") else { throw ParseError(description: "expected } at \(index)") }
            return .object(object)
        case UInt8(ascii: "["):
            index += 1
            var items: [TemplateValue] = []
            skipSpace()
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            repeat {
                items.append(try value())
                skipSpace()
                index += 1
            } while bytes[index - 1] == UInt8(ascii: ",")
            guard bytes[index - 1] == UInt8(ascii: "]") else { throw ParseError(description: "expected ] at \(index)") }
            return .array(items)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", true)
        case UInt8(ascii: "f"): return try literal("false", false)
        case UInt8(ascii: "n"): return try literal("null", nil)
        default:
            let start = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if text.contains(where: { ".eE".contains($0) }), let d = Double(text) { return .double(d) }
            if let i = Int(text) { return .int(i) }
            throw ParseError(description: "bad number '\(text)' at \(start)")
        }
    }

    private mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        var pendingHigh: UInt32?
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                let hex = String(decoding: bytes[index..<index + 4], as: UTF8.self)
                index += 4
                guard var code = UInt32(hex, radix: 16) else { throw ParseError(description: "bad \\u escape") }
                if (0xD800..<0xDC00).contains(code) {
                    pendingHigh = code
                    continue
                }
                if let high = pendingHigh, (0xDC00..<0xE000).contains(code) {
                    code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                    pendingHigh = nil
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
            default: out.append(escape)
            }
        }
        throw ParseError(description: "unterminated string")
    }
}
