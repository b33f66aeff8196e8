import Hummingbird
import NIOCore
import TernOpenAI

extension GenerationRun {
    /// Writes the run as server-sent events and ends the stream, as every generating endpoint does.
    ///
    /// Each new piece of text becomes the events `delta` makes and each ended choice those `finished` makes; a
    /// keep-alive comment fills every silence of `keepAlive`. At the end the usage goes into the ledger before the last
    /// bytes, which `end` makes (OpenAI's: the usage chunk if asked for, then `[DONE]`). Once the 200 header is out, a
    /// failure (a sequence failed, or the ledger could not be written) ends the stream with the event `error` makes
    /// instead.
    ///
    /// The request's connection is watched meanwhile: when the client hangs up, the run is cancelled at once, also
    /// while its sequences still wait in the queue and nothing is being written that could fail.
    func stream(
        to writer: inout any ResponseBodyWriter, watching channel: any Channel, in connections: ConnectionRegistry, promptTokens: [Int],
        access: RequestAccess?,
        keepAlive: Duration?, delta: (_ choice: Int, ChoiceDelta) -> [UInt8], finished: (_ choice: Int, ChoiceOutcome) -> [UInt8],
        end: (Usage) async throws -> [UInt8], error errorEvent: (OpenAIError) -> [UInt8] = ServerSentEvents.error
    ) async throws {
        try await connections.whileConnected(channel) {
            try await write(to: &writer)
        }

        func write(to writer: inout any ResponseBodyWriter) async throws {
            var outcomes: [ChoiceOutcome] = []
            do {
                try await run(keepAlive: keepAlive) { output in
                    switch output {
                    case .delta(let choice, let piece):
                        try await writer.writeEvent(delta(choice, piece))
                    case .finished(let choice, let outcome):
                        outcomes.append(outcome)
                        try await writer.writeEvent(finished(choice, outcome))
                    case .idle:
                        try await writer.writeEvent(ServerSentEvents.keepAlive)
                    }
                }
            } catch let failure as Failure {
                let error = failure.underlying as? OpenAIError ?? .internalError()
                try? await access?.commit(status: error.status)
                try await writer.writeEvent(errorEvent(error))
                try await writer.finish(nil)
                return
            }
            let usage = Usage(promptTokens: promptTokens, outcomes: outcomes)
            if let failure = await access?.commitReportingFailure(status: 200, usage: usage) {
                try await writer.writeEvent(errorEvent(failure))
                try await writer.finish(nil)
                return
            }
            try await writer.writeEvent(try await end(usage))
            try await writer.finish(nil)
        }
    }
}
