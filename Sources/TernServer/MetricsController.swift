import Hummingbird
import TernScheduler

/// `GET /metrics`: each model's load, KV memory and counters in Prometheus' text format (version 0.0.4).
///
/// Every per-model series carries a `model` label. A model that is not loaded shows zeros and `tern_model_ready` 0;
/// its counters start again from zero when it is loaded again (Prometheus' `rate` and `increase` take counter resets
/// in their stride).
struct MetricsController: Sendable {
    let models: ModelFleet

    func metrics() -> Response {
        let text = Self.render(models.report(), version: TernServer.version)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The exposition of `reports`: one `# HELP` and `# TYPE` line per family, then its samples for every model.
    static func render(_ reports: [ModelFleet.Report], version: String) -> String {
        var text = ""
        // `samples` are (labels inside the braces, value) per model.
        func family(_ name: String, _ type: String, _ help: String, _ samples: (ModelFleet.Report) -> [(String, String)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for report in reports {
                let model = "model=\"\(Self.escaped(report.id))\""
                for (labels, value) in samples(report) {
                    text += "\(name){\(labels.isEmpty ? model : model + "," + labels)} \(value)\n"
                }
            }
        }
        func single(_ name: String, _ type: String, _ help: String, _ value: @escaping (ModelFleet.Report) -> Int) {
            family(name, type, help) { [("", "\(value($0))")] }
        }

        text += "# HELP tern_build_info Always 1; the version is a label.\n# TYPE tern_build_info gauge\n"
        text += "tern_build_info{version=\"\(version)\"} 1\n"
        single("tern_model_ready", "gauge", "1 when the model is loaded and requests are served, else 0.") { $0.loaded ? 1 : 0 }
        single("tern_model_memory_bytes", "gauge", "Bytes the loaded model counts against the models' memory: weights and KV budget.") {
            $0.memoryBytes
        }
        single("tern_model_loads_total", "counter", "Times the model was loaded.") { $0.loads }
        single("tern_model_unloads_total", "counter", "Times the model was unloaded (idle past the keep-alive, or for room).") {
            $0.unloads
        }
        family("tern_model_load_seconds_total", "counter", "Seconds spent loading the model.") { [("", "\($0.loadSeconds)")] }
        single("tern_requests_running", "gauge", "Sequences in the batch: decoding or processing their prompt.") { $0.metrics.running }
        single("tern_requests_waiting", "gauge", "Requests accepted and waiting for a place in the batch.") { $0.metrics.waiting }
        single("tern_kv_cache_bytes", "gauge", "Resident bytes of keys and values: running sequences and cached prefixes.") {
            $0.metrics.kvBytesInUse
        }
        single("tern_kv_cache_budget_bytes", "gauge", "The most bytes the KV cache may occupy (--kv-memory).") { $0.metrics.kvBytesBudget }
        family("tern_requests_total", "counter", "Generation requests by how they ended; rejected ones found the queue full.") { report in
            let metrics = report.metrics
            return [
                ("outcome=\"finished\"", "\(metrics.requestsFinished)"), ("outcome=\"cancelled\"", "\(metrics.requestsCancelled)"),
                ("outcome=\"failed\"", "\(metrics.requestsFailed)"), ("outcome=\"rejected\"", "\(metrics.requestsRejected)"),
            ]
        }
        single("tern_prompt_tokens_total", "counter", "Prompt tokens of requests whose prompt has been processed.") { $0.metrics.promptTokens }
        single("tern_prompt_tokens_cached_total", "counter", "Prompt tokens reused from the prefix cache instead of computed.") {
            $0.metrics.cachedPromptTokens
        }
        single("tern_generation_tokens_total", "counter", "Tokens generated.") { $0.metrics.generatedTokens }
        single("tern_preemptions_total", "counter", "Sequences dropped from the KV cache for memory and computed again later.") {
            $0.metrics.preemptions
        }
        single("tern_scheduler_steps_total", "counter", "Forward passes run.") { $0.metrics.steps }
        single("tern_scheduler_step_tokens_total", "counter", "Tokens fed to forward passes.") { $0.metrics.stepTokens }
        family("tern_scheduler_busy_seconds_total", "counter", "Seconds spent in forward passes.") { [("", "\($0.metrics.stepSeconds)")] }

        func histogram(_ name: String, _ help: String, _ histogram: @escaping (SchedulerMetrics) -> SchedulerMetrics.Histogram) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for report in reports {
                let model = "model=\"\(Self.escaped(report.id))\""
                let histogram = histogram(report.metrics)
                let bounds = histogram.bounds.map { "\($0)" } + ["+Inf"]
                for (bound, count) in zip(bounds, histogram.cumulativeCounts) { text += "\(name)_bucket{\(model),le=\"\(bound)\"} \(count)\n" }
                text += "\(name)_sum{\(model)} \(histogram.sum)\n\(name)_count{\(model)} \(histogram.count)\n"
            }
        }
        histogram(
            "tern_time_to_first_token_seconds", "Seconds from a request's submission to its first token: queueing and prompt processing.",
            \.timeToFirstToken)
        histogram("tern_inter_token_latency_seconds", "Seconds between two generated tokens of one sequence.", \.interTokenLatency)
        histogram(
            "tern_e2e_request_latency_seconds", "Seconds from a request's submission to its end (requests that finished).",
            \.endToEndLatency)
        histogram("tern_request_queue_time_seconds", "Seconds a request waited before it first entered the batch.", \.queueTime)
        return text
    }

    /// `value` as a label value: backslash, quote and line feed escaped.
    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(
            of: "\n", with: "\\n")
    }
}
