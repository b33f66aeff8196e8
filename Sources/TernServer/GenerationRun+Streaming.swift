import Hummingbird
import NIOCore
import TernOpenAI

extension GenerationRun {
    /// Writes the run as server-sent events and ends the stream, as both completion endpoints do.
    ///
    /// Each new piece of text becomes the chunk `delta` makes and each ended choice the one `finished` makes; a
    /// keep-alive comment fills every silence of `keepAlive`. At the end the usage goes into the ledger before the last
    /// bytes, then `usage`'s chunk (if the client asked for one) and `[DONE]`. Once the 200 header is out, a failure (a
    /// sequence failed, or the ledger could not be written) ends the stream with an error event instead.
    ///
    /// The request's connection is watched meanwhile: when the client hangs up, the run is cancelled at once, also
    /// while its sequences still wait in the queue and nothing is being written that could fail.
    func stream(
        to writer: inout any ResponseBodyWriter, watching channel: any Channel, in connections: ConnectionRegistry, promptTokens: [Int],
        access: RequestAccess?,
        keepAlive: Duration?, delta: (_ choice: Int, ChoiceDelta) -> [UInt8], finished: (_ choice: Int, FinishReason) -> [UInt8],
        usage usageChunk: ((Usage) -> [UInt8])?
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
                        try await writer.writeEvent(finished(choice, outcome.finishReason))
                    case .idle:
                        try await writer.writeEvent(ServerSentEvents.keepAlive)
                    }
                }
            } catch let failure as Failure {
                let error = failure.underlying as? OpenAIError ?? .internalError()
                try? await access?.commit(status: error.status)
                try await writer.writeEvent(ServerSentEvents.error(error))
                try await writer.finish(nil)
                return
            }
            let usage = Usage(promptTokens: promptTokens, outcomes: outcomes)
            if let failure = await access?.commitReportingFailure(status: 200, usage: usage) {
                try await writer.writeEvent(ServerSentEvents.error(failure))
                try await writer.finish(nil)
                return
            }
            if let usageChunk { try await writer.writeEvent(usageChunk(usage)) }
            try await writer.writeEvent(ServerSentEvents.done)
            try await writer.finish(nil)
        }
    }
}
