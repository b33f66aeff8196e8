import Hummingbird
import TernScheduler

/// `GET /metrics`: the scheduler's load, KV memory and counters in Prometheus' text format (version 0.0.4).
///
/// While the model loads (and after shutdown) the scheduler's figures are zero and `tern_model_ready` is 0.
struct MetricsController: Sendable {
    let host: ModelHost

    func metrics() -> Response {
        let scheduler = host.scheduler
        let text = Self.render(scheduler?.metrics ?? SchedulerMetrics(), ready: scheduler != nil, version: TernServer.version)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The exposition of `metrics`: one `# HELP` and `# TYPE` line per family, then its samples.
    static func render(_ metrics: SchedulerMetrics, ready: Bool, version: String) -> String {
        var text = ""
        // `samples` are (what follows the family's name: a suffix and labels, value).
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (suffix, value) in samples { text += "\(name)\(suffix) \(value)\n" }
        }
        func single(_ name: String, _ type: String, _ help: String, _ value: Int) { family(name, type, help, [("", "\(value)")]) }

        family("tern_build_info", "gauge", "Always 1; the version is a label.", [("{version=\"\(version)\"}", "1")])
        single("tern_model_ready", "gauge", "1 when the model is loaded and requests are served, else 0.", ready ? 1 : 0)
        single("tern_requests_running", "gauge", "Sequences in the batch: decoding or processing their prompt.", metrics.running)
        single("tern_requests_waiting", "gauge", "Requests accepted and waiting for a place in the batch.", metrics.waiting)
        single("tern_kv_cache_bytes", "gauge", "Resident bytes of keys and values: running sequences and cached prefixes.", metrics.kvBytesInUse)
        single("tern_kv_cache_budget_bytes", "gauge", "The most bytes the KV cache may occupy (--kv-memory).", metrics.kvBytesBudget)
        family(
            "tern_requests_total", "counter", "Generation requests by how they ended; rejected ones found the queue full.",
            [
                ("{outcome=\"finished\"}", "\(metrics.requestsFinished)"), ("{outcome=\"cancelled\"}", "\(metrics.requestsCancelled)"),
                ("{outcome=\"failed\"}", "\(metrics.requestsFailed)"), ("{outcome=\"rejected\"}", "\(metrics.requestsRejected)"),
            ])
        single("tern_prompt_tokens_total", "counter", "Prompt tokens of requests whose prompt has been processed.", metrics.promptTokens)
        single(
            "tern_prompt_tokens_cached_total", "counter", "Prompt tokens reused from the prefix cache instead of computed.",
            metrics.cachedPromptTokens)
        single("tern_generation_tokens_total", "counter", "Tokens generated.", metrics.generatedTokens)
        single(
            "tern_preemptions_total", "counter", "Sequences dropped from the KV cache for memory and computed again later.",
            metrics.preemptions)
        single("tern_scheduler_steps_total", "counter", "Forward passes run.", metrics.steps)
        single("tern_scheduler_step_tokens_total", "counter", "Tokens fed to forward passes.", metrics.stepTokens)
        family(
            "tern_scheduler_busy_seconds_total", "counter", "Seconds spent in forward passes.", [("", "\(metrics.stepSeconds)")])

        func histogram(_ name: String, _ help: String, _ histogram: SchedulerMetrics.Histogram) {
            let bounds = histogram.bounds.map { "\($0)" } + ["+Inf"]
            family(
                name, "histogram", help,
                zip(bounds, histogram.cumulativeCounts).map { ("_bucket{le=\"\($0)\"}", "\($1)") }
                    + [("_sum", "\(histogram.sum)"), ("_count", "\(histogram.count)")])
        }
        histogram(
            "tern_time_to_first_token_seconds", "Seconds from a request's submission to its first token: queueing and prompt processing.",
            metrics.timeToFirstToken)
        histogram("tern_inter_token_latency_seconds", "Seconds between two generated tokens of one sequence.", metrics.interTokenLatency)
        histogram(
            "tern_e2e_request_latency_seconds", "Seconds from a request's submission to its end (requests that finished).",
            metrics.endToEndLatency)
        histogram("tern_request_queue_time_seconds", "Seconds a request waited before it first entered the batch.", metrics.queueTime)
        return text
    }
}
