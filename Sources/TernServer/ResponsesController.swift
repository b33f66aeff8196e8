import Foundation
import Hummingbird
import NIOCore
import TernJSON
import TernOpenAI
import TernStore

/// OpenAI's Responses API: `POST /v1/responses` (whole or streamed), `GET` and `DELETE /v1/responses/{id}`.
///
/// A response runs as a chat request (``ChatRun``); with `store` (the default) it is kept per key until it expires,
/// with its conversation, so that `previous_response_id` continues it. A key never reads another key's responses.
struct ResponsesController: Sendable {
    let models: ModelFleet
    let bodyReader: RequestBodyReader
    let keepAliveInterval: Duration
    let logPrompts: Bool
    /// Watches the request's connection for the client hanging up.
    let connections: ConnectionRegistry
    /// Where stored responses live.
    let store: any ResponseStore
    /// How long a stored response is kept.
    let retention: Duration

    func create(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let (asked, bytes) = try await bodyReader.decode(&request) { try ResponseRequest.decode(from: $0) }
        let owner = context.access?.key.id ?? ""
        var history: [ChatMessage] = []
        // The prompt is the stored conversation and the new input: both decide where it is prepared.
        var promptBytes = bytes
        if let previous = asked.previousResponseID {
            guard let stored = try await store.response(id: previous, keyID: owner, now: Date()) else {
                throw OpenAIError(
                    status: 404, message: "Previous response with id '\(previous)' not found.", type: "invalid_request_error",
                    param: "previous_response_id", code: "previous_response_not_found")
            }
            let conversation = stored.conversation
            promptBytes += conversation.utf8.count
            history = try await onThread(named: "tern-decode", bytes: promptBytes, threshold: RequestBodyReader.inlineBytes) {
                Self.messages(fromConversation: conversation)
            }
        }
        let earlier = history
        let started = try await ChatRun(
            asked.chatRequest(after: history), bodyBytes: promptBytes, models: models, context: context, logPrompts: logPrompts)
        let (plan, run, parser) = (started.plan, started.run, started.parser)
        let id = ResponseObject.newID("resp_")
        let created = Int(Date().timeIntervalSince1970)
        @Sendable func response(_ status: ResponseObject.Status, _ output: [ResponseObject.OutputItem], usage: Usage?) -> ResponseObject {
            ResponseObject(
                id: id, createdAt: created, model: asked.model, status: status, output: output,
                usage: usage.map { ($0.promptTokens, $0.cachedTokens, $0.completionTokens) }, request: asked)
        }
        /// Keeps a finished response (when asked to) with the conversation it ends.
        let keep: @Sendable (ResponseObject) async throws -> Void = { [store, retention] finished in
            guard asked.store else { return }
            let calls = finished.output.compactMap { if case .functionCall(_, let call) = $0 { call } else { nil } }
            let answer = ChatMessage(
                role: .assistant, content: finished.text.isEmpty && !calls.isEmpty ? nil : .text(finished.text), toolCalls: calls)
            let now = Date()
            try await store.save(
                StoredResponse(
                    id: finished.id, keyID: owner, createdAt: now, expiresAt: now.addingTimeInterval(retention.seconds),
                    body: finished.json.jsonText, conversation: Self.conversation(earlier + asked.input + [answer])))
        }
        if asked.stream {
            context.access?.markStreaming()
            let keepAlive = keepAliveInterval
            let (access, channel, connections) = (context.access, context.channel, connections)
            return Response(
                status: .ok, headers: Response.eventStreamHeaders,
                body: ResponseBody { writer in
                    var events = ResponseStreamEvents()
                    var parser = parser
                    var status = ResponseObject.Status.completed
                    func write(_ parts: [AnswerParser.Event]) -> [UInt8] {
                        parts.flatMap { part -> [UInt8] in
                            switch part {
                            case .content(let text): events.text(text)
                            case .reasoning: []
                            case .callStart(let index, let callID, let name): events.callStart(index: index, callID: callID, name: name)
                            case .arguments(let index, let fragment): events.arguments(index: index, fragment)
                            }
                        }
                    }
                    try await writer.writeEvent(events.start(response(.inProgress, [], usage: nil)))
                    try await run.stream(
                        to: &writer, watching: channel, in: connections, promptTokens: plan.promptTokens, access: access, keepAlive: keepAlive,
                        delta: { _, delta in parser == nil ? events.text(delta.text) : write(parser!.feed(delta.text)) },
                        finished: { _, outcome in
                            if outcome.finishReason == .length { status = .incomplete }
                            var bytes = parser == nil ? [] : write(parser!.finish())
                            // An empty answer is still one (empty) message.
                            if events.items.isEmpty { bytes += events.text("") }
                            return bytes
                        },
                        end: { usage in
                            let finished = response(status, events.items, usage: usage)
                            do {
                                try await keep(finished)
                            } catch {
                                return events.error(.internalError("The response could not be stored: \(error)."))
                            }
                            return events.finish(finished)
                        },
                        error: { error in events.error(error) })
                })
        }
        let answer = try await connections.whileConnected(context.channel) { try await run.whole(choices: 1)[0] }
        let (text, outcome) = (answer.text, answer.outcome)
        var content: String? = text
        var calls: [ToolCall] = []
        if var parser { (content, _, calls) = parser.parse(text) }
        var output: [ResponseObject.OutputItem] = []
        if let content, !content.isEmpty || calls.isEmpty { output.append(.message(id: ResponseObject.newID("msg_"), text: content)) }
        output += calls.map { .functionCall(id: ResponseObject.newID("fc_"), call: $0) }
        let usage = Usage(promptTokens: plan.promptTokens, outcomes: outcome.map { [$0] } ?? [])
        let finished = response(outcome?.finishReason == .length ? .incomplete : .completed, output, usage: usage)
        try await keep(finished)
        try await context.access?.commitOrFail(status: 200, usage: usage)
        return Self.jsonResponse(finished.json.jsonText)
    }

    /// `GET /v1/responses/{id}`: the stored response as it was answered.
    func get(_ id: String, context: TernRequestContext) async throws -> Response {
        guard let stored = try await store.response(id: id, keyID: context.access?.key.id ?? "", now: Date()) else { throw Self.notFound(id) }
        return Self.jsonResponse(stored.body)
    }

    /// `DELETE /v1/responses/{id}`: `{"id","object":"response","deleted":true}`.
    func delete(_ id: String, context: TernRequestContext) async throws -> Response {
        guard try await store.deleteResponse(id: id, keyID: context.access?.key.id ?? "") else { throw Self.notFound(id) }
        let body: JSONValue = .object(["id": .string(id), "object": .string("response"), "deleted": .bool(true)])
        return Self.jsonResponse(body.jsonText)
    }

    static func notFound(_ id: String) -> OpenAIError {
        OpenAIError(status: 404, message: "Response with id '\(id)' not found.", type: "invalid_request_error", param: "response_id", code: nil)
    }

    static func jsonResponse(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Turns as stored: `[{"role","content","tool_calls","tool_call_id"}]`.
    static func conversation(_ messages: [ChatMessage]) -> String {
        JSONValue.array(
            messages.map { message in
                var object: JSONObject = ["role": .string(message.role.rawValue)]
                object["content"] = message.content == nil ? .null : .string(message.text)
                if !message.toolCalls.isEmpty {
                    object["tool_calls"] = .array(
                        message.toolCalls.map { .object(["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)]) })
                }
                if let id = message.toolCallID { object["tool_call_id"] = .string(id) }
                return .object(object)
            }
        ).jsonText
    }

    /// The turns of a stored conversation.
    static func messages(fromConversation text: String) -> [ChatMessage] {
        guard case .array(let items)? = try? JSONValue.parse(Array(text.utf8)) else { return [] }
        return items.compactMap { item in
            guard case .object(let object) = item, case .string(let role)? = object["role"], let parsed = ChatMessage.Role(rawValue: role) else {
                return nil
            }
            let content: ChatMessageContent? = if case .string(let text)? = object["content"] { .text(text) } else { nil }
            var calls: [ToolCall] = []
            if case .array(let stored)? = object["tool_calls"] {
                for call in stored {
                    guard case .object(let fields) = call, case .string(let id)? = fields["id"], case .string(let name)? = fields["name"],
                        case .string(let arguments)? = fields["arguments"]
                    else { continue }
                    calls.append(ToolCall(id: id, name: name, arguments: arguments))
                }
            }
            let callID: String? = if case .string(let id)? = object["tool_call_id"] { id } else { nil }
            return ChatMessage(role: parsed, content: content, toolCalls: calls, toolCallID: callID)
        }
    }
}
