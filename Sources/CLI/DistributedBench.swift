import ArgumentParser
import Distributed
import Foundation
import OwnData
import Tasks
import Tensors
import Training

/// `crossmodal bench distributed`: what data parallelism costs and buys here, and what that predicts at scale.
/// Started without mpirun it runs itself under `mpirun -np 2` for an OSU-style allreduce table (latency and
/// bandwidth over message sizes), counts the gradient bytes of a step for two models, times Sort-of-CLEVR
/// co-attention training in 1 process × 2 threads against 2 ranks × 1 thread (with the allreduce share, overlapped
/// with the backward pass and blocking), and
/// from those figures estimates scaling efficiency on a 100 Gb/s network with ring allreduce.
struct DistributedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distributed",
        abstract: "Allreduce latency/bandwidth under mpirun, gradient bytes per step, 1 process vs 2 ranks, a scaling estimate.")

    @Flag(help: "Only the allreduce table (the part that runs under mpirun; started by the bench itself).")
    var collectives = false

    @Option(help: "Sort-of-CLEVR training steps per configuration.")
    var steps = 60

    @Option(help: "Sort-of-CLEVR training images.")
    var images = 1000

    func run() throws {
        let world = Communicator.world
        if collectives { return allreduceTable(world) }
        guard world.size == 1 else { throw ValidationError("run `crossmodal bench distributed` without mpirun: it starts mpirun itself") }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let mpirun = ["/usr/bin/mpirun", "--oversubscribe"] + (getuid() == 0 ? ["--allow-run-as-root"] : []) + ["-np", "2"]
        guard FileManager.default.isExecutableFile(atPath: mpirun[0]) else { throw CommandError("\(mpirun[0]) is missing: `make deps` installs openmpi-bin") }
        print("bench distributed: \(ProcessInfo.processInfo.activeProcessorCount) cores, Open MPI over shared memory (2 ranks on this host); load average \(SeedBench.loadAverage)\n")
        print(try ChildProcess.output(mpirun + [me, "bench", "distributed", "--collectives"]))

        let small = try Self.gradientBytes(try Self.sortOfCLEVRModel())
        let large = try? Self.gradientBytes(try ImageTextModel(config: Self.finetunedConfig(), efficientNet: PretrainedEncoders.efficientNet(),
                                                               bert: PretrainedEncoders.bert()))
        print(String(format: "gradient bytes per step: Sort-of-CLEVR co-attention %.2f MB; co-attention over fine-tuned MiniLM + EfficientNet-Lite0 ",
                     Double(small) / 1e6) + (large.map { String(format: "%.1f MB", Double($0) / 1e6) } ?? "(pretrained models missing: `make models`)"))

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("crossmodal-bench-distributed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try SortOfCLEVRFiles.generate(to: root.appendingPathComponent("soc"), train: images, test: 10)
        func train(_ launcher: [String], _ out: String, _ extra: [String] = []) throws -> (seconds: Double, allreduce: Double) {
            let arguments = launcher + [me, "train", "--data", root.appendingPathComponent("soc/train/manifest.jsonl").path,
                                        "--labels", root.appendingPathComponent("soc/labels.txt").path, "--fusion", "co-attention",
                                        "--image-encoder", "small-cnn", "--text-encoder", "learned", "--texts-per-image", "20",
                                        "--steps", String(steps), "--batch-size", "32", "--eval-every", "0",
                                        "--out", root.appendingPathComponent(out).path] + extra
            let text = try ChildProcess.output(arguments)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("trained ") }) else {
                throw CommandError("bench distributed: training printed no summary:\n\(text)")
            }
            let numbers = line.split(whereSeparator: { " ;(".contains($0) }).compactMap { Double($0) }
            return (numbers[1], line.contains("allreduce") ? numbers[4] : 0)
        }
        let one = try train([], "one"), two = try train(mpirun, "two"), blocking = try train(mpirun, "blocking", ["--allreduce", "blocking"])
        print(String(format: """

            Sort-of-CLEVR co-attention, %d images, %d steps of 32 images × 20 questions:
            1 process × 2 threads                  %6.1f s   %5.2f steps/s
            mpirun -np 2 × 1 thread, overlapped    %6.1f s   %5.2f steps/s   waiting for the allreduce %.3f s (%.1f%% of the run)
            mpirun -np 2 × 1 thread, blocking      %6.1f s   %5.2f steps/s   waiting for the allreduce %.3f s (%.1f%% of the run)
            2 ranks / 1 process: %.2f× (the allreduce times include waiting for the slower rank)
            """, images, steps, one.seconds, Double(steps) / one.seconds, two.seconds, Double(steps) / two.seconds,
                     two.allreduce, 100 * two.allreduce / two.seconds, blocking.seconds, Double(steps) / blocking.seconds,
                     blocking.allreduce, 100 * blocking.allreduce / blocking.seconds, one.seconds / two.seconds))

        // Compute per step on one rank: the 2-rank step without its allreduce, at 16 images a rank; the fine-tuned
        // model's from 3 measured steps of 8 fashion scenes in one process.
        let compute = (two.seconds - two.allreduce) / Double(steps)
        var finetunedStep: Double?
        if large != nil {
            let manifests = try FashionScenesExport.write(to: root.appendingPathComponent("fashion"), trainScenes: 16, testScenes: 1, seed: 0)
            let text = try ChildProcess.output([me, "train", "--task", "match", "--data", manifests[0].path, "--fusion", "co-attention",
                                        "--image-encoder", "efficientnet-lite0", "--text-encoder", "minilm", "--finetune-encoders",
                                        "--steps", "3", "--batch-size", "8", "--eval-every", "0", "--out", root.appendingPathComponent("finetuned").path])
            let line = text.split(separator: "\n").first { $0.hasPrefix("trained ") }
            finetunedStep = line.flatMap { $0.split(separator: " ").compactMap { Double($0) }.dropFirst().first }.map { $0 / 3 }
        }
        print("\nestimate: ring allreduce on 100 Gb/s (12.5 GB/s, 5 µs a hop), the per-rank batch kept (weak scaling), no overlap")
        print("model                                  gradient MB  compute/step   8 ranks   64 ranks  512 ranks")
        func row(_ name: String, bytes: Int, compute: Double) {
            let efficiency = [8, 64, 512].map { n -> Double in
                let n = Double(n), ring = 2 * (n - 1) * 5e-6 + 2 * (n - 1) / n * Double(bytes) / 12.5e9
                return 100 * compute / (compute + ring)
            }
            print(name.padding(toLength: 38, withPad: " ", startingAt: 0)
                  + String(format: "%12.2f %11.3f s %8.2f%% %9.2f%% %9.2f%%", Double(bytes) / 1e6, compute, efficiency[0], efficiency[1], efficiency[2]))
        }
        row("Sort-of-CLEVR co-attention, 16/rank", bytes: small, compute: compute)
        if let large, let finetunedStep {
            row("fine-tuned encoders, 8/rank", bytes: large, compute: finetunedStep)
        }
    }

    /// Mean seconds of one allreduce of each size, the slowest rank's, with algorithm and bus bandwidth.
    private func allreduceTable(_ world: Communicator) {
        if world.isRoot { print("allreduce (sum, Float32), \(world.size) ranks:\n     bytes     µs/op   algbw GB/s   busbw GB/s") }
        for bytes in [4, 64, 1 << 10, 16 << 10, 256 << 10, 4 << 20, 64 << 20] {
            var values = [Float](repeating: 1, count: bytes / 4)
            let iterations = max(10, min(1000, (256 << 20) / bytes / 4))
            for _ in 0..<5 { world.allreduce(&values, .sum) }
            world.barrier()
            let start = Date()
            for _ in 0..<iterations { world.allreduce(&values, .sum) }
            var seconds = [Float(Date().timeIntervalSince(start) / Double(iterations))]
            world.allreduce(&seconds, .max)
            let t = Double(seconds[0]), n = Double(world.size), algorithm = Double(bytes) / t / 1e9
            if world.isRoot {
                print(String(format: "%10d %9.1f %12.3f %12.3f", bytes, t * 1e6, algorithm, algorithm * 2 * (n - 1) / n))
            }
        }
    }

    /// The Sort-of-CLEVR co-attention model the README's figures were measured with (`SortOfCLEVRSource.earlierCoAttention`).
    private static func sortOfCLEVRModel() throws -> ImageTextModel {
        var run = ImageTextRun(model: SortOfCLEVRSource.earlierCoAttention, training: TrainingConfig())
        run.labelOrder = SortOfCLEVRSource.labels
        return try ImageTextModel(config: try run.configured(for: SortOfCLEVRSource.manifest(.train, count: 200, seed: 0)))
    }

    /// Co-attention matching over MiniLM and EfficientNet-Lite0, both fine-tuned.
    private static func finetunedConfig() -> ImageTextModelConfig {
        var config = ImageTextModelConfig(task: .match, fusion: .coAttention, imageEncoder: .efficientNetLite0, textEncoder: .minilm)
        config.finetuneEncoders = true
        return config
    }

    /// Bytes of the trainable parameters' gradients (Float32).
    private static func gradientBytes(_ model: ImageTextModel) throws -> Int {
        model.trainableParameters().map { $0.tensor.count }.reduce(0, +) * 4
    }
}
