import ArgumentParser
import Benchmarks
import Encoders
import Foundation
import Imaging
import OwnData
import Tasks
import Training

/// `crossmodal bench data`: training memory and loader speed as the data set grows. Writes Sort-of-CLEVR
/// images once into the cache (one question each, manifests of every size), then trains the small-CNN
/// co-attention model for a fixed number of steps on each size in a child process of its own and prints its
/// peak resident memory, the steps' speed and image demand, and how many batches the loader had ready
/// (`other s`: the run's time outside the training steps: reading the manifest, the vocabulary, checking
/// every image, writing the bundle); and the loader's own decoding speed, for 75 px PNGs and for 640×480 JPEGs read at 224 px.
struct DataBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Peak memory and loader throughput of training on 10k, 100k and 1M images read from files.")

    @Option(help: "Data set sizes (images), comma-separated.")
    var sizes = "10000,100000,1000000"

    @Option(help: "Training steps per size.")
    var steps = 60

    @Option(help: "Images per step.")
    var batchSize = 64

    @Option(help: "Batches built ahead of the step.")
    var prefetch = 4

    @Option(help: "Threads decoding each prefetched batch.")
    var workers = 1

    @Option(help: "Where the generated images and manifests are kept (default: the model cache's bench-data folder).")
    var folder: String?

    @Option(help: .hidden)
    var only: Int?

    private var root: URL { folder.map { URL(fileURLWithPath: $0) } ?? ModelCache.root().appendingPathComponent("bench-data") }

    func validate() throws {
        guard let counts = sizeList, !counts.isEmpty, counts.allSatisfy({ $0 >= batchSize }) else {
            throw ValidationError("--sizes must be comma-separated counts of at least --batch-size (\(batchSize)), got \(sizes)")
        }
    }

    private var sizeList: [Int]? {
        let counts = sizes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return counts.contains(nil) ? nil : counts.map { $0! }
    }

    func run() throws {
        if let only { return try measure(only) }
        let counts = sizeList!
        let available = counts.max()!
        try DataBenchImages.ensure(count: available, in: root)
        let rate = { (jpeg: Bool, workers: Int) in try DataBenchImages.decodeRate(root, available: available, jpeg: jpeg, workers: workers) }
        print(String(format: "loader alone, 1 worker: %.0f images/s of 75 px PNG; %.0f images/s of 640×480 JPEG read at 224 px "
                     + "(2 workers: %.0f and %.0f)", try rate(false, 1), try rate(true, 1), try rate(false, 2), try rate(true, 2)))
        print("images     manifest MB   peak RSS MB     other s   steps/s   step demand img/s   batches ready")
        for count in counts {
            try DataBenchImages.writeManifest(count: count, in: root)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            child.arguments = ["bench", "data", "--only", String(count), "--steps", String(steps), "--batch-size", String(batchSize),
                               "--prefetch", String(prefetch), "--workers", String(workers), "--folder", root.path]
            let out = Pipe()
            child.standardOutput = out
            try child.run()
            let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            guard child.terminationStatus == 0, let line = printed.split(separator: "\n").last else {
                throw CommandError("the \(count)-image run failed (exit \(child.terminationStatus)): \(printed)")
            }
            print(line)
        }
    }

    /// One size, in this process: train and print the table row.
    private func measure(_ count: Int) throws {
        let manifestURL = DataBenchImages.manifestURL(count: count, in: root)
        let manifest = try Manifest.load(manifestURL)
        var model = ImageTextModelConfig(task: .classify, fusion: .coAttention, imageEncoder: .smallCNN, textEncoder: .learned)
        model.width = 32
        var training = TrainingConfig()
        (training.steps, training.batchSize, training.checkpointEvery, training.evalEvery) = (steps, batchSize, 0, 0)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("crossmodal-bench-data-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        training.outputDir = out.path
        var run = ImageTextRun(model: model, training: training)
        (run.textsPerImage, run.labelOrder, run.prefetch, run.workers) = (1, SortOfCLEVRSource.labels, prefetch, workers)
        var loader = ""
        let start = Date()
        let result = try run.run(train: manifest, val: nil, progress: ProgressReporter(style: .silent), log: { line in
            if line.hasPrefix("loader:") { loader = line }
        })
        let trainSeconds = result.summary.elapsedSeconds, setupSeconds = Date().timeIntervalSince(start) - trainSeconds
        let ready = loader.split(separator: " ").dropFirst().prefix(3).joined(separator: " ")
        let megabytes = Double((try? FileManager.default.attributesOfItem(atPath: manifestURL.path)[.size] as? Int) ?? 0) / 1e6
        print(String(format: "%9d   %10.1f   %11.0f   %9.1f   %7.2f   %17.0f   %@", count, megabytes, Double(ProcessMemory.peakKiB) / 1024,
                     setupSeconds, Double(steps) / trainSeconds, Double(steps * batchSize) / trainSeconds, ready))
    }
}
