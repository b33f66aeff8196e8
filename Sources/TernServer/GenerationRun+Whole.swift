extension GenerationRun {
    /// One choice run to its end, as a whole (not streamed) answer needs it.
    struct WholeChoice {
        var text = ""
        var logprobs: [TokenInfo] = []
        var outcome: ChoiceOutcome?
    }

    /// Runs every choice to its end and returns them in choice order; a failed sequence throws its client-facing
    /// error. The caller wraps it in ``ConnectionRegistry/whileConnected(_:_:)``, so a client that hangs up cancels it.
    func whole(choices count: Int) async throws -> [WholeChoice] {
        var choices = Array(repeating: WholeChoice(), count: count)
        do {
            try await run(keepAlive: nil) { output in
                switch output {
                case .delta(let choice, let delta):
                    choices[choice].text += delta.text
                    choices[choice].logprobs += delta.logprobs
                case .finished(let choice, let outcome):
                    choices[choice].outcome = outcome
                case .idle:
                    break
                }
            }
        } catch let failure as Failure {
            throw failure.underlying
        }
        return choices
    }
}
