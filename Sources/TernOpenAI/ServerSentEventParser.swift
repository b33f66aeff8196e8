/// One dispatched Server-Sent Event.
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field; `nil` means the default type "message".
    public var event: String?
    /// The `data:` lines joined with `\n`.
    public var data: String
    /// The last `id:` seen in the stream, if any.
    public var id: String?
    /// The `retry:` field of this event, if any.
    public var retry: Int?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }
}

/// An incremental parser for `text/event-stream` following the WHATWG rules: bytes may arrive
/// split anywhere; lines end with LF, CR or CRLF; lines starting with `:` are comments; one
/// leading space after the colon is removed; an event is dispatched at a blank line when it
/// has data.
///
/// ```swift
/// var parser = ServerSentEventParser()
/// for event in parser.feed(bytes) { … }
/// ```
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var lastByteWasCR = false
    private var isFirstLine = true
    private var dataLines: [String] = []
    private var hasData = false
    private var eventType: String?
    private var lastEventID: String?
    private var retry: Int?
    /// The number of comment lines seen (for example `: keep-alive`).
    public private(set) var commentCount = 0

    /// Creates a parser.
    public init() {}

    /// Feeds bytes and returns the events completed by them.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == 0x0A && lastByteWasCR {
                lastByteWasCR = false
                continue
            }
            lastByteWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let event = processLine() { events.append(event) }
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
            }
        }
        return events
    }

    /// Ends the stream: an incomplete event (without its blank line) is discarded, per the spec.
    public mutating func finish() {
        line.removeAll()
        resetEvent()
    }

    private mutating func resetEvent() {
        dataLines.removeAll()
        hasData = false
        eventType = nil
        retry = nil
    }

    private mutating func processLine() -> ServerSentEvent? {
        // A UTF-8 byte order mark at the very start of the stream is ignored.
        if isFirstLine {
            isFirstLine = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty {
            defer { resetEvent() }
            guard hasData else { return nil }
            return ServerSentEvent(event: eventType, data: dataLines.joined(separator: "\n"), id: lastEventID, retry: retry)
        }
        if line.first == UInt8(ascii: ":") {
            commentCount += 1
            return nil
        }
        let field: String
        var value: ArraySlice<UInt8> = []
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = String(decoding: line, as: UTF8.self)
        }
        let text = String(decoding: value, as: UTF8.self)
        switch field {
        case "data":
            dataLines.append(text)
            hasData = true
        case "event":
            eventType = text
        case "id" where !text.contains("\0"):
            lastEventID = text
        case "retry":
            if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { retry = Int(text) }
        default:
            break
        }
        return nil
    }
}
