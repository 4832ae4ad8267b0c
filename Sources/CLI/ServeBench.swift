import ArgumentParser
import Benchmarks
import Encoders
import Foundation
import Imaging
import Logging
import OwnData
import Serving
import ServiceLifecycle
import Tasks
import Tensors
import Training

/// `crossmodal bench serve`: the server under a bounded closed-loop load on 127.0.0.1, in this process — once with
/// dynamic batching and once with `--max-batch 1` — beside the model's own batched rate without HTTP.
struct ServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Requests/s, p50/p90/p99 latency and mean batch size of `crossmodal serve` under load, batched vs --max-batch 1.",
        discussion: """
            Without --model, a Sort-of-CLEVR co-attention bundle (small CNN from pixels) is trained for 200 steps into \
            the cache once (a minute or two): throughput does not depend on how well it answers. Requests are the \
            images and texts of --data (default: 64 generated Sort-of-CLEVR test images with a question each).
            """)

    @Option(help: "The run directory to serve (default: a Sort-of-CLEVR co-attention bundle trained once into the cache).")
    var model: String?

    @Option(help: "A manifest whose first 64 images and texts make the requests.")
    var data: String?

    @Option(help: "Texts per request to a match model (its own text and the next examples'): 1 leaves the image encoder the bound.")
    var texts = 1

    @Option(help: "Concurrent clients, each on its own keep-alive connection.")
    var clients = 64

    @Option(help: "Measured seconds per configuration (after 3 s of warm-up).")
    var seconds = 20.0

    @Option(help: "--max-batch of the batched configuration.")
    var maxBatch = ServingLimits().maxBatch

    func validate() throws {
        guard clients >= 1, seconds > 0, maxBatch >= 1, texts >= 1 else {
            throw ValidationError("--clients, --max-batch and --texts must be at least 1 and --seconds above 0")
        }
    }

    func run() async throws {
        let directory = try model.map { URL(fileURLWithPath: $0) } ?? Self.defaultBundle()
        let (bundle, model) = try ModelBundle.load(directory)
        let examples = try requestExamples(task: bundle.model.task)
        let requests = try examples.map { example -> LoadGenerator.Request in
            let image = try example.bytes.base64EncodedString()
            let body: [String: Any] = bundle.model.task == .classify ? ["image": image, "text": example.texts[0]] : ["image": image, "texts": example.texts]
            return LoadGenerator.Request(path: bundle.model.task == .classify ? "/v1/answer" : "/v1/match",
                                         body: try JSONSerialization.data(withJSONObject: body))
        }
        print("bench serve: \(directory.path) (\(bundle.model.task.rawValue), \(bundle.model.fusion.rawValue), \(bundle.model.imageEncoder.rawValue) + "
              + "\(bundle.model.textEncoder.rawValue)); \(ProcessInfo.processInfo.activeProcessorCount) cores; load average \(SeedBench.loadAverage)")
        print("\(clients) clients on 127.0.0.1 for \(Int(seconds)) s after 3 s warm-up; \(requests.count) distinct requests of "
              + "\(requests.map(\.body.count).reduce(0, +) / requests.count) bytes")

        let alone = try modelAlone(ImageTextPredictor(model: model), examples: examples, task: bundle.model.task, batch: maxBatch)
        print(String(format: "model alone (no HTTP, batches of %d): %.1f requests/s", maxBatch, alone))
        let frozenEncoder = bundle.model.imageEncoder == .efficientNetLite0 && !bundle.model.finetuneEncoders
        let encoder = frozenEncoder ? try Self.efficientNetAlone(batch: maxBatch) : nil
        if let encoder { print(String(format: "image encoder alone (EfficientNet-Lite0 at 224 px, batches of %d): %.1f images/s", maxBatch, encoder)) }
        print("\nconfiguration        requests/s   p50 ms   p90 ms   p99 ms   mean batch   failed")
        var rates: [Double] = []
        for (name, batch) in [("dynamic batching", maxBatch), ("--max-batch 1", 1)] {
            var limits = ServingLimits()
            limits.maxBatch = batch
            let result = try await load(directory, limits: limits, requests: requests)
            rates.append(result.requestsPerSecond)
            print(name.padding(toLength: 20, withPad: " ", startingAt: 0)
                  + String(format: " %10.1f %8.1f %8.1f %8.1f %12.1f %8d", result.requestsPerSecond, result.milliseconds(50),
                           result.milliseconds(90), result.milliseconds(99), result.meanBatchSize, result.failures.values.reduce(0, +)))
        }
        print(String(format: "\nbatched / unbatched throughput: %.2f×; batched server / model alone: %.0f%%", rates[0] / max(rates[1], 1e-9),
                     100 * rates[0] / max(alone, 1e-9))
              + (encoder.map { String(format: "; batched server / image encoder alone: %.0f%%", 100 * rates[0] / $0) } ?? "")
              + "; load average after: \(SeedBench.loadAverage)")
    }

    /// One request's image file bytes and texts.
    private struct Example {
        let bytes: Data
        let image: RGBImage
        let texts: [String]
    }

    /// The first 64 images of `--data` (or of generated Sort-of-CLEVR test scenes) with their texts: the image's
    /// first text, or for matching its first text and texts of `--texts` − 1 other examples.
    private func requestExamples(task: ImageTextModelConfig.Task) throws -> [Example] {
        let manifest = try data.map { try Manifest.load(URL(fileURLWithPath: $0)) } ?? SortOfCLEVRSource.manifest(.test, count: 64, seed: 1)
        var seen = Set<URL>(), examples: [Example] = []
        for (n, entry) in manifest.entries.enumerated() where examples.count < 64 && seen.insert(entry.imageURL).inserted {
            let bytes = try entry.pixels.map { try PNG.encode($0) } ?? ImageFile.contents(of: entry.imageURL)
            let texts = task == .classify ? [entry.text] : (0..<self.texts).map { manifest.entries[(n + $0 * 7) % manifest.entries.count].text }
            examples.append(Example(bytes: bytes, image: try ImageFile.decode(bytes, path: entry.image), texts: texts))
        }
        return examples
    }

    /// Requests/s of the predictor alone on batches of `batch` examples, over about 5 s after 1 s of warm-up.
    private func modelAlone(_ predictor: ImageTextPredictor, examples: [Example], task: ImageTextModelConfig.Task, batch: Int) throws -> Double {
        var next = 0
        return try Self.rate(items: batch) {
            let chunk = (0..<batch).map { examples[(next + $0) % examples.count] }
            next += batch
            if task == .classify {
                _ = try predictor.answer(chunk.map { ($0.image, $0.texts[0]) })
            } else {
                _ = try predictor.match(chunk.map { ($0.image, $0.texts) })
            }
        }
    }

    /// Images/s of the frozen (folded) EfficientNet-Lite0 alone on batches of `batch` preprocessed images.
    private static func efficientNetAlone(batch: Int) throws -> Double {
        let encoder = try EfficientNetLite0.pretrained().folded()
        var generator = RandomGenerator(seed: 0)
        let x = Tensor.randn([batch, 3, EfficientNetLite0.imageSize, EfficientNetLite0.imageSize], using: &generator)
        return try rate(items: batch) { _ = encoder(x) }
    }

    /// Items/s of `step` (doing `items` items each time), run for 1 s unmeasured and then about 5 s.
    private static func rate(items: Int, _ step: () throws -> Void) throws -> Double {
        var start = Date(), done = 0
        while Date().timeIntervalSince(start) < 1 { try step() }
        start = Date()
        while Date().timeIntervalSince(start) < 5 {
            try step()
            done += items
        }
        return Double(done) / Date().timeIntervalSince(start)
    }

    /// The server for `directory` with `limits` on an ephemeral port, under the load, then stopped.
    private func load(_ directory: URL, limits: ServingLimits, requests: [LoadGenerator.Request]) async throws -> LoadGenerator.Result {
        var quiet = Logger(label: "bench-serve")
        quiet.logLevel = .error
        let server = try ModelServer(model: directory, limits: limits, logger: quiet)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(configuration: .init(services: [server.application(port: 0, onRunning: { portContinuation.yield($0) })], logger: quiet))
        return try await withThrowingTaskGroup(of: LoadGenerator.Result?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CommandError("bench serve: the server did not start") }
            let (clients, seconds) = (clients, seconds)
            let result = await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: LoadGenerator.run(port: port, clients: clients, warmUpSeconds: 3, seconds: seconds, requests: requests)) }.start()
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    /// A Sort-of-CLEVR co-attention bundle trained for 200 steps under the cache, trained on first use.
    static func defaultBundle() throws -> URL {
        let out = ModelCache.root().appendingPathComponent("bench-serve/sort-of-clevr-co-attention")
        if FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path) { return out }
        print("training the bench's Sort-of-CLEVR co-attention bundle (200 steps, once) into \(out.path)")
        try? FileManager.default.removeItem(at: out)
        var training = TrainingConfig()
        (training.steps, training.batchSize, training.evalEvery, training.checkpointEvery) = (200, 64, 0, 0)
        training.outputDir = out.path
        var run = ImageTextRun(model: SortOfCLEVRSource.earlierCoAttention, training: training)  // the README's serving figures' model
        (run.textsPerImage, run.labelOrder) = (5, SortOfCLEVRSource.labels)
        _ = try run.run(train: SortOfCLEVRSource.manifest(.train, count: 2000, seed: 0), val: nil, progress: ProgressReporter(style: .silent), log: { _ in })
        return out
    }
}
