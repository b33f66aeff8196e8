extension GGUFCursor {
    /// The fewest bytes a value of GGUF type `type` can take, or nil for an unknown type.
    static func minimumSize(ofType type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 10, 11, 12: 8
        case 8: 8  // length only, empty string
        case 9: 12  // element type and count, empty array
        default: nil
        }
    }

    /// Reads one metadata value of GGUF type `type`; `depth` counts enclosing arrays.
    mutating func readValue(type: UInt32, key: String, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        let start = offset
        switch type {
        case 0: return .uint8(try read(UInt8.self, "value of \(key)"))
        case 1: return .int8(try read(Int8.self, "value of \(key)"))
        case 2: return .uint16(try read(UInt16.self, "value of \(key)"))
        case 3: return .int16(try read(Int16.self, "value of \(key)"))
        case 4: return .uint32(try read(UInt32.self, "value of \(key)"))
        case 5: return .int32(try read(Int32.self, "value of \(key)"))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, "value of \(key)")))
        case 7:
            let byte = try read(UInt8.self, "value of \(key)")
            guard byte <= 1 else { throw GGUFError(.invalidBool, "bool value of \(key) at offset \(start) is \(byte), not 0 or 1") }
            return .bool(byte == 1)
        case 8: return .string(try readString("string value of \(key)"))
        case 9: return .array(try readArray(key: key, depth: depth + 1))
        case 10: return .uint64(try read(UInt64.self, "value of \(key)"))
        case 11: return .int64(try read(Int64.self, "value of \(key)"))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, "value of \(key)")))
        default: throw GGUFError(.unknownValueType, "value of \(key) at offset \(start) has unknown type \(type)")
        }
    }

    /// Reads an array's element type, count and elements.
    private mutating func readArray(key: String, depth: Int) throws(GGUFError) -> [GGUFValue] {
        let start = offset
        guard depth <= GGUFFile.maxArrayNesting else {
            throw GGUFError(.nestingTooDeep, "array value of \(key) at offset \(start) is nested more than \(GGUFFile.maxArrayNesting) deep")
        }
        let elementType = try read(UInt32.self, "array element type of \(key)")
        guard let elementSize = Self.minimumSize(ofType: elementType) else {
            throw GGUFError(.unknownValueType, "array value of \(key) at offset \(start) has unknown element type \(elementType)")
        }
        let count = try readCount("array count of \(key)")
        // Bound the allocation by what the rest of the file can hold.
        guard count <= remaining / elementSize else {
            throw GGUFError(
                .countTooLarge,
                "array value of \(key) at offset \(start) has \(count) elements, more than the \(remaining) bytes left can hold")
        }
        var elements: [GGUFValue] = []
        elements.reserveCapacity(count)
        if elementType == 8 {
            // Vocabularies hold tens of thousands of strings: read them without per-element dispatch.
            for index in 0..<count {
                elements.append(.string(try readString("string \(index) of \(key)")))
            }
        } else {
            for _ in 0..<count {
                elements.append(try readValue(type: elementType, key: key, depth: depth))
            }
        }
        return elements
    }
}
