import Foundation
import TernOpenAI
import TernTokenizer

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Talks to a running OpenAI-compatible server: one streamed `/v1/chat/completions` request per turn.
final class RemoteChatBackend: ChatBackend {
    let base: URL
    let apiKey: String
    let model: String?

    init(base: URL, apiKey: String, model: String?) {
        self.base = base
        self.apiKey = apiKey
        self.model = model
    }

    func reply(to messages: [TernTokenizer.ChatMessage], settings: ChatSettings, onText: (String) -> Void) throws -> String {
        var body: [String: Any] = [
            "model": try model ?? firstModel(),
            "messages": messages.map { ["role": $0.role, "content": $0.content] },
            "stream": true,
            "max_tokens": settings.maxTokens,
            "temperature": Double(settings.temperature),
        ]
        if let seed = settings.seed { body["seed"] = seed }
        var request = URLRequest(url: base.appendingPathComponent("v1/chat/completions"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)

        let stream = StreamingResponse()
        var parser = ServerSentEventParser()
        var answer = ""
        var failure: String?
        try stream.run(request) { bytes in
            for event in parser.feed(bytes) where event.data != "[DONE]" {
                guard let object = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any] else { continue }
                if let error = object["error"] as? [String: Any] {
                    failure = error["message"] as? String ?? "the server reported an error"
                    continue
                }
                let choices = object["choices"] as? [[String: Any]]
                if let delta = choices?.first?["delta"] as? [String: Any], let text = delta["content"] as? String {
                    answer += text
                    onText(text)
                }
            }
        }
        if let failure { throw CommandError(failure) }
        return answer
    }

    /// The id of the first model the server lists.
    private func firstModel() throws -> String {
        var request = URLRequest(url: base.appendingPathComponent("v1/models"))
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        var collected = Data()
        try StreamingResponse().run(request) { collected.append(contentsOf: $0) }
        let object = try? JSONSerialization.jsonObject(with: collected) as? [String: Any]
        guard let models = object?["data"] as? [[String: Any]], let id = models.first?["id"] as? String else {
            throw CommandError("\(base) lists no models; pass --model-name")
        }
        return id
    }
}

/// Runs one HTTP request and hands the body to a closure piece by piece, as it arrives.
final class StreamingResponse: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let pieces = DispatchQueue(label: "tern.chat.pieces")
    private var received: [Data] = []
    private var status = 0
    private var errorBody = Data()
    private var failure: (any Error)?
    private let lock = NSLock()

    /// Sends `request`; `onBytes` runs on the calling thread for each piece of a 2xx response body.
    func run(_ request: URLRequest, onBytes: (Data) -> Void) throws {
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        var finished = false
        while !finished {
            finished = done.wait(timeout: .now() + .milliseconds(20)) == .success
            lock.lock()
            let batch = received
            received.removeAll()
            lock.unlock()
            for piece in batch { onBytes(piece) }
        }
        if let failure {
            throw CommandError("cannot reach \(request.url?.absoluteString ?? "the server"): \(failure.localizedDescription)")
        }
        guard (200..<300).contains(status) else {
            let message = (try? JSONSerialization.jsonObject(with: errorBody) as? [String: Any])
                .flatMap { ($0["error"] as? [String: Any])?["message"] as? String }
            throw CommandError("the server answered \(status): \(message ?? String(decoding: errorBody, as: UTF8.self))")
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        lock.lock()
        status = (response as? HTTPURLResponse)?.statusCode ?? 0
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        if (200..<300).contains(status) { received.append(data) } else { errorBody.append(data) }
        lock.unlock()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.lock()
        failure = error
        lock.unlock()
        done.signal()
    }
}
