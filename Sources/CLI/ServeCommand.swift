import ArgumentParser
import Foundation
import Logging
import Serving

/// `crossmodal serve`: a model bundle behind a batched JSON API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a trained model bundle over HTTP: POST /v1/answer or /v1/match (and /v1/retrieve with --index), GET /healthz, /metrics, /openapi.json.",
        discussion: """
            Requests for the same route are gathered for up to --batch-wait-ms (or until --max-batch) and run as one \
            forward pass on the engine's own thread. SIGTERM or SIGINT stop accepting, answer the requests in flight \
            (for at most --drain-seconds) and exit 0. Every request is logged to stderr; errors are JSON \
            {"error": {"code", "message", "field"}}.
            """)

    @Option(help: "The run directory written by `crossmodal train`.")
    var model: String

    @Option(help: "Images POST /v1/retrieve searches (match models): a manifest (.jsonl/.csv) or a folder of PNG and JPEG files, encoded once at start.")
    var index: String?

    @Option(help: "Images of the index reranked by the model per retrieval, picked by embedding similarity.")
    var shortlist = ServingLimits().shortlist

    @Option(help: "Address to listen on (127.0.0.1 = this machine only; 0.0.0.0 = every interface).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 = any free port, printed at start).")
    var port = 8080

    @Option(help: "Most requests of one route run together in one forward pass.")
    var maxBatch = ServingLimits().maxBatch

    @Option(help: "Milliseconds the first request of a batch waits for others.")
    var batchWaitMs = ServingLimits().batchWaitMilliseconds

    @Option(help: "Requests waiting for the engine before new ones are refused with 503 and Retry-After.")
    var maxQueue = ServingLimits().maxQueue

    @Option(help: "Largest request body in bytes; larger ones get 413 before they are read whole.")
    var maxBodyBytes = ServingLimits().maxBodyBytes

    @Option(help: "Longest text in characters.")
    var maxTextChars = ServingLimits().maxTextChars

    @Option(help: "Seconds given to requests in flight after SIGTERM or SIGINT.")
    var drainSeconds = ServingLimits().drainSeconds

    func validate() throws {
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1, got \(maxBatch)") }
        guard batchWaitMs >= 0 else { throw ValidationError("--batch-wait-ms must be 0 or more, got \(batchWaitMs)") }
        guard maxQueue >= 1 else { throw ValidationError("--max-queue must be at least 1, got \(maxQueue)") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024, got \(maxBodyBytes)") }
        guard maxTextChars >= 1 else { throw ValidationError("--max-text-chars must be at least 1, got \(maxTextChars)") }
        guard shortlist >= 1 else { throw ValidationError("--shortlist must be at least 1, got \(shortlist)") }
        guard drainSeconds >= 0 else { throw ValidationError("--drain-seconds must be 0 or more, got \(drainSeconds)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535, got \(port)") }
    }

    func run() async throws {
        var limits = ServingLimits()
        (limits.maxBatch, limits.batchWaitMilliseconds, limits.maxQueue) = (maxBatch, batchWaitMs, maxQueue)
        (limits.maxBodyBytes, limits.maxTextChars, limits.drainSeconds, limits.shortlist) = (maxBodyBytes, maxTextChars, drainSeconds, shortlist)
        var logger = Logger(label: "crossmodal.serve")
        logger.logLevel = .info
        let server = try ModelServer(model: URL(fileURLWithPath: model), limits: limits, logger: logger, index: index.map { URL(fileURLWithPath: $0) })
        let config = server.bundle.model, host = host
        try await server.run(host: host, port: port) { port in
            print("serving \(model) (\(config.task.rawValue), \(config.fusion.rawValue), \(config.imageEncoder.rawValue) + "
                  + "\(config.textEncoder.rawValue)) on http://\(host):\(port)")
            fflush(stdout)
        }
        print("stopped")
    }
}
