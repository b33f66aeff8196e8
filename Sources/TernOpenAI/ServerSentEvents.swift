/// Framing of Server-Sent Events (`text/event-stream`) as OpenAI streams them.
///
/// ```swift
/// writer.write(ServerSentEvents.event(chunk))   // data: {...}\n\n
/// writer.write(ServerSentEvents.done)           // data: [DONE]\n\n
/// ```
public enum ServerSentEvents {
    /// The content type of an event stream.
    public static let contentType = "text/event-stream"

    /// `data: [DONE]\n\n`, the end marker the OpenAI SDKs wait for.
    public static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)

    /// `: keep-alive\n\n`, a comment that clients ignore; keeps proxies from timing out.
    public static let keepAlive: [UInt8] = Array(": keep-alive\n\n".utf8)

    /// `data: <payload>\n\n` for a one-line payload (compact JSON).
    ///
    /// A payload with line breaks is split into several `data:` lines, which a client joins
    /// back with `\n`, so any text round-trips.
    public static func data(_ payload: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(payload.count + 8)
        output.append(contentsOf: "data: ".utf8)
        var previousWasCR = false
        for byte in payload {
            switch byte {
            case 0x0A where previousWasCR:
                break  // the CR already started a new line
            case 0x0A, 0x0D:
                output.append(contentsOf: "\ndata: ".utf8)
            default:
                output.append(byte)
            }
            previousWasCR = byte == 0x0D
        }
        output.append(contentsOf: "\n\n".utf8)
        return output
    }

    /// `data: <text>\n\n`.
    public static func data(_ text: String) -> [UInt8] { data(Array(text.utf8)) }

    /// `data: <compact JSON of value>\n\n`.
    public static func event(_ value: some Encodable) -> [UInt8] { data(OpenAIJSON.encode(value)) }

    /// `: <text>\n\n`; line breaks in `text` are replaced by spaces so the comment stays one line.
    public static func comment(_ text: String) -> [UInt8] {
        let line = text.utf8.map { $0 == 0x0A || $0 == 0x0D ? UInt8(ascii: " ") : $0 }
        return Array(": ".utf8) + line + Array("\n\n".utf8)
    }

    /// An error sent inside a stream after the 200 header went out: `data: {"error":…}\n\n`.
    public static func error(_ error: OpenAIError) -> [UInt8] { event(error) }
}
