extension TemplateRenderer {
    /// String filters: `upper`, `trim`, `indent`, `replace`, ….
    func stringFilter(_ name: String, _ s: String, _ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        switch name {
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "capitalize": return .string(PythonString.capitalize(s))
        case "title": return .string(Self.jinjaTitle(s))
        case "trim":
            let chars: String? = if case .string(let c)? = arguments.value(0, "chars") { c } else { nil }
            return .string(PythonString.strip(s, chars: chars, leading: true, trailing: true))
        case "wordcount":
            var count = 0
            var inWord = false
            for c in s.unicodeScalars {
                let word = c.properties.isAlphabetic || c.properties.numericType != nil || c == "_"
                if word && !inWord { count += 1 }
                inWord = word
            }
            return .int(count)
        case "center":
            let width = arguments.value(0, "width")?.integer ?? 80
            let length = s.unicodeScalars.count
            guard width > length else { return .string(s) }
            try checkSize(width, bytes: true)
            let margin = width - length
            let left = margin / 2 + (margin & width & 1)
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: margin - left))
        case "indent":
            let indentation: String
            switch arguments.value(0, "width") {
            case .string(let text)?: indentation = text
            case let width?: indentation = String(repeating: " ", count: max(0, min(width.integer ?? 4, 1000)))
            case nil: indentation = "    "
            }
            let first = arguments.value(1, "first")?.isTruthy ?? false
            let blank = arguments.value(2, "blank")?.isTruthy ?? false
            var lines = PythonString.splitLines(s + "\n")
            var result: String
            if blank {
                result = lines.joined(separator: "\n" + indentation)
            } else {
                result = lines.isEmpty ? "" : lines.removeFirst()
                if !lines.isEmpty { result += "\n" + lines.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n") }
            }
            try checkSize(result.utf8.count, bytes: true)
            return .string(first ? indentation + result : result)
        case "replace":
            guard case .string(let old)? = arguments.value(0, "old"), let new = arguments.value(1, "new") else {
                throw ChatTemplateError(.runtime, "replace() expects two strings")
            }
            let result = PythonString.replace(s, old, new.pythonString, count: arguments.value(2, "count")?.integer ?? -1)
            try checkSize(result.utf8.count, bytes: true)
            return .string(result)
        default:
            throw ChatTemplateError(.unsupported, "unsupported filter '\(name)'")
        }
    }

    /// `truncate(length=255, killwords=False, end='...', leeway=5)`; a `Markup` string stays `Markup`, with `end` escaped.
    func truncate(_ input: RuntimeValue, _ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        let length = arguments.value(0, "length")?.integer ?? 255
        let killWords = arguments.value(1, "killwords")?.isTruthy ?? false
        let end = arguments.value(2, "end")?.pythonString ?? "..."
        let leeway = arguments.value(3, "leeway")?.integer ?? 5
        guard length >= end.unicodeScalars.count else {
            throw ChatTemplateError(.runtime, "expected length >= \(end.unicodeScalars.count), got \(length)")
        }
        guard leeway >= 0 else { throw ChatTemplateError(.runtime, "expected leeway >= 0, got \(leeway)") }
        let scalars = Array(input.pythonString.unicodeScalars)
        guard scalars.count > length + leeway else { return input }
        var kept = String(String.UnicodeScalarView(scalars.prefix(length - end.unicodeScalars.count)))
        if !killWords { kept = try PythonString.split(kept, separator: " ", maxSplit: 1, fromRight: true)[0] }
        if case .markup = input { return .markup(kept + Self.htmlEscape(end)) }
        return .string(kept + end)
    }

    /// Jinja2's `title`: capitalizes each piece between `-`, whitespace and opening brackets.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atStart = true
        for c in s {
            let separator = c.isWhitespace || "-({[<".contains(c)
            out += separator ? String(c) : (atStart ? c.uppercased() : c.lowercased())
            atStart = separator
        }
        return out
    }

    /// Filters over sequences: `select`, `selectattr`, `map`, `sort`, `unique`, `min`, `max`, `sum`, `batch`, `dictsort`.
    ///
    /// Those that are Python generators in Jinja2 return a ``TemplateIterator``; `select`, `reject`, their `attr`
    /// forms and `map` give an empty one for a false value (`none | map(attribute='x')`), as Jinja2's do.
    func sequenceFilter(_ name: String, _ value: RuntimeValue, _ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        switch name {
        case "select", "reject", "selectattr", "rejectattr", "map":
            guard value.isTruthy else { return .iterator(TemplateIterator("generator", .success([]))) }
            fallthrough
        case "unique", "batch":
            return TemplateIterator.generator { () throws(ChatTemplateError) in try listFilter(name, value, arguments).iterated() }
        default:
            return try listFilter(name, value, arguments)
        }
    }

    private func listFilter(_ name: String, _ value: RuntimeValue, _ arguments: CallArguments) throws(ChatTemplateError) -> RuntimeValue {
        switch name {
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            var rest = arguments.positional
            var attribute: RuntimeValue?
            if byAttribute {
                guard !rest.isEmpty else { throw ChatTemplateError(.runtime, "\(name)() needs an attribute name") }
                attribute = rest.removeFirst()
            }
            let testName: String? = rest.isEmpty ? nil : rest.removeFirst().pythonString
            let keep = name.hasPrefix("select")
            var result: [RuntimeValue] = []
            for item in try value.iterated() {
                try tick()
                let subject = try attribute.map { (a) throws(ChatTemplateError) in try attributePath(item, a) } ?? item
                let passed =
                    try testName.map { (t) throws(ChatTemplateError) in try applyTest(t, to: subject, arguments: CallArguments(positional: rest)) }
                    ?? subject.isTruthy
                if passed == keep { result.append(item) }
            }
            return .array(result)
        case "map":
            var result: [RuntimeValue] = []
            if let attribute = arguments.keyword.first(where: { $0.name == "attribute" })?.value {
                let fallback = arguments.keyword.first(where: { $0.name == "default" })?.value
                for item in try value.iterated() {
                    try tick()
                    let mapped = try attributePath(item, attribute)
                    result.append(mapped.isUndefined ? (fallback ?? mapped) : mapped)
                }
                return .array(result)
            }
            guard case .string(let filter)? = arguments.positional.first?.plain else {
                throw ChatTemplateError(.runtime, "map() needs a filter name or attribute=")
            }
            let rest = CallArguments(positional: Array(arguments.positional.dropFirst()), keyword: arguments.keyword)
            for item in try value.iterated() {
                try tick()
                result.append(try callFilter(filter, item, rest))
            }
            return .array(result)
        case "sort", "unique", "min", "max":
            let caseSensitive = arguments.value(name == "sort" ? 1 : 0, "case_sensitive")?.isTruthy ?? false
            let attribute = arguments.value(name == "sort" ? 2 : 1, "attribute")
            let items = try value.iterated()
            try tick(items.count)
            var keys: [RuntimeValue] = []
            for item in items {
                var key = (try attribute.map { (a) throws(ChatTemplateError) in try attributePath(item, a) } ?? item).plain
                if !caseSensitive, case .string(let s) = key { key = .string(s.lowercased()) }
                keys.append(key)
            }
            switch name {
            case "sort":
                let reverse = arguments.value(0, "reverse")?.isTruthy ?? false
                let order = try stableSort(Array(items.indices)) { (a, b) throws(ChatTemplateError) in
                    let c = try keys[a].pythonCompare(keys[b])
                    return reverse ? c > 0 : c < 0
                }
                return .array(order.map { items[$0] })
            case "unique":
                var seen: [RuntimeValue] = []
                var result: [RuntimeValue] = []
                for (item, key) in zip(items, keys) where !seen.contains(where: { $0.pythonEquals(key) }) {
                    seen.append(key)
                    result.append(item)
                }
                return .array(result)
            default:
                guard var best = items.indices.first else { return .undefined(reason: "no \(name) item, sequence was empty") }
                for i in items.indices.dropFirst() {
                    let c = try keys[i].pythonCompare(keys[best])
                    if name == "min" ? c < 0 : c > 0 { best = i }
                }
                return items[best]
            }
        case "sum":
            var total = arguments.value(1, "start") ?? .int(0)
            let attribute = arguments.value(0, "attribute")
            for item in try value.iterated() {
                try tick()
                total = try binary(.add, total, try attribute.map { (a) throws(ChatTemplateError) in try attributePath(item, a) } ?? item)
            }
            return total
        case "batch":
            guard let size = arguments.value(0, "linecount")?.integer, size > 0 else {
                throw ChatTemplateError(.runtime, "batch() needs a positive size")
            }
            let fill = arguments.value(1, "fill_with")
            let items = try value.iterated()
            var result: [RuntimeValue] = []
            var start = 0
            while start < items.count {
                var chunk = Array(items[start..<min(start + size, items.count)])
                if let fill { while chunk.count < size { chunk.append(fill) } }
                result.append(.array(chunk))
                start += size
            }
            return .array(result)
        case "dictsort":
            guard case .dict(let dict) = value else { throw ChatTemplateError(.runtime, "dictsort() needs a mapping") }
            let caseSensitive = arguments.value(0, "case_sensitive")?.isTruthy ?? false
            let byValue = arguments.value(1, "by")?.pythonString == "value"
            let reverse = arguments.value(2, "reverse")?.isTruthy ?? false
            let pairs = dict.entries
            func key(_ i: Int) -> RuntimeValue {
                let k = (byValue ? pairs[i].value : pairs[i].key).plain
                if !caseSensitive, case .string(let s) = k { return .string(s.lowercased()) }
                return k
            }
            let order = try stableSort(Array(pairs.indices)) { (a, b) throws(ChatTemplateError) in
                let c = try key(a).pythonCompare(key(b))
                return reverse ? c > 0 : c < 0
            }
            return .array(order.map { .array([pairs[$0].key, pairs[$0].value]) })
        default:
            throw TemplateBuiltins.missingFilter(name)
        }
    }

    /// Insertion-merge sort that can throw from its comparison (Python's sort is stable).
    private func stableSort(_ items: [Int], by less: (Int, Int) throws(ChatTemplateError) -> Bool) throws(ChatTemplateError) -> [Int] {
        guard items.count > 1 else { return items }
        let middle = items.count / 2
        let left = try stableSort(Array(items[..<middle]), by: less)
        let right = try stableSort(Array(items[middle...]), by: less)
        var merged: [Int] = []
        merged.reserveCapacity(items.count)
        var i = 0
        var j = 0
        while i < left.count, j < right.count {
            if try less(right[j], left[i]) {
                merged.append(right[j])
                j += 1
            } else {
                merged.append(left[i])
                i += 1
            }
        }
        return merged + left[i...] + right[j...]
    }
}
