import ArgumentParser
import Benchmarks
import Foundation
import Tensors

/// `crossmodal bench seed`: the guide's seed workload (training step and eval inference), optionally side by
/// side with the project's PyTorch eager peer on the same weights, inputs and thread count.
struct SeedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Seed workload: training step and inference medians, GFLOP/s, % of GEMM peak, peak memory; --peer pytorch runs the PyTorch peer too.")

    @Option(help: "Batch size.")
    var batch = 32

    @Option(help: "Text length T (valid lengths drawn uniformly in 8…T).")
    var textLength = 32

    @Option(help: "Peer to run side by side: pytorch.")
    var peer: String?

    @Option(help: "Path of the PyTorch peer script.")
    var peerScript = "bench/peers/pytorch_seed.py"

    @Option(help: "Threads for BLAS and the engine's parallel loops (and the peer).")
    var threads = 2

    @Option(help: "Timed runs per measurement (median reported).")
    var runs = 20

    @Option(help: "Warm-up runs before timing.")
    var warmups = 5

    @Option(help: "Alternating Swift/peer rounds (median round reported), to even out changes in machine load.")
    var rounds = 1

    @Option(help: "Buffer pool limit in MiB (0 turns buffer reuse off, to measure what it buys).")
    var poolLimitMib = BufferPool.limitBytes >> 20

    @Flag(help: "Print the batch 8/32/128 × text length 16/32/77 table of Swift/PyTorch ratios instead (runs the peer).")
    var scaling = false

    @Option(help: "Timed runs per cell of the scaling table.")
    var scalingRuns = 5

    func validate() throws {
        if let peer, peer != "pytorch" { throw ValidationError("--peer must be 'pytorch', got '\(peer)'") }
        guard batch > 0, textLength > 0, threads > 0, runs > 0, warmups >= 0, rounds > 0 else {
            throw ValidationError("--batch, --text-length, --threads, --runs and --rounds must be positive, --warmups non-negative")
        }
    }

    func run() throws {
        BLAS.threads = threads
        Parallel.cores = threads
        BufferPool.limitBytes = poolLimitMib << 20
        if scaling { return try runScaling() }
        let workload = SeedWorkload(batchSize: batch, textLength: textLength)
        let valid = workload.lengths.reduce(0, +)
        print("CrossModal seed benchmark — B=\(batch), \(SeedWorkload.regions) regions, text length \(textLength) (\(valid)/\(batch * textLength) tokens valid), \(threads) threads, median of \(runs) after \(warmups) warm-ups")
        print("load average: \(Self.loadAverage)")
        let peak = GEMMProbe.gflops()
        print(String(format: "GEMM peak (raw sgemm probe): %.1f GFLOP/s", peak))
        print(String(format: "matmul work from the shapes, padded as PyTorch runs it: forward %.2f GFLOP, training step %.2f GFLOP",
                     workload.forwardFLOPs() / 1e9, workload.trainingFLOPs() / 1e9))
        print(String(format: "  executed by Swift (padded text tokens skipped):        forward %.2f GFLOP, training step %.2f GFLOP",
                     workload.forwardFLOPs(unpadded: true) / 1e9, workload.trainingFLOPs(unpadded: true) / 1e9))
        print("  GFLOP/s = padded work / time (comparable across both); % of peak = executed work / time / GEMM peak")
        let peerInputs = workload.peerInputs()
        // Rounds alternate Swift and the peer, so a change in machine load hits both; medians across rounds.
        var swiftRounds: [SeedTimings] = [], torchRounds: [PyTorchPeer.Result] = []
        var swiftLogits: [Float] = []
        for _ in 0..<rounds {
            let (timings, logits) = workload.measure(warmups: warmups, runs: runs)
            swiftRounds.append(timings)
            if swiftLogits.isEmpty { swiftLogits = logits }
            if peer != nil {
                torchRounds.append(try PyTorchPeer(script: peerScript).run(peerInputs, threads: threads, warmups: warmups, runs: runs))
            }
        }
        let swift = SeedTimings.median(swiftRounds)
        let torch = torchRounds.isEmpty ? nil : torchRounds.first.map { first in
            PyTorchPeer.Result(torch: first.torch, threads: first.threads,
                               train_ms: Timing.median(torchRounds.map(\.train_ms)), infer_ms: Timing.median(torchRounds.map(\.infer_ms)),
                               peak_rss_kib: first.peak_rss_kib, rss_before_kib: first.rss_before_kib,
                               eval_logits: first.eval_logits)
        }
        if rounds > 1 { print("rounds: \(rounds) (Swift then peer, alternating); times are the median round, memory the first round's") }
        print("load average after: \(Self.loadAverage)")
        let header = torch.map { "    PyTorch \($0.torch) eager (\($0.threads) thr)         Swift/PyTorch" } ?? ""
        print("\n                 Swift                                 \(header)")
        for (name, flops, executed, ms, peerMs) in [
            ("training step", workload.trainingFLOPs(), workload.trainingFLOPs(unpadded: true), swift.trainMilliseconds, torch?.train_ms),
            ("inference", workload.forwardFLOPs(), workload.forwardFLOPs(unpadded: true), swift.inferMilliseconds, torch?.infer_ms),
        ] {
            var line = "  " + name.padding(toLength: 14, withPad: " ", startingAt: 0)
                + String(format: " %8.1f ms %6.1f GFLOP/s %5.1f%% of peak", ms, flops / ms / 1e6, 100 * executed / ms / 1e6 / peak)
            if let peerMs {
                line += String(format: "   %8.1f ms %6.1f GFLOP/s %5.1f%%   %6.3f", peerMs, flops / peerMs / 1e6, 100 * flops / peerMs / 1e6 / peak, ms / peerMs)
            }
            print(line)
        }
        var memory = "  peak RSS      " + String(format: " %8.1f MiB (step +%5.1f MiB)        ",
                                                   Double(swift.peakKiB) / 1024, Double(swift.peakKiB - swift.baselineKiB) / 1024)
        if let torch {
            let t = torch.timings
            memory += String(format: "   %8.1f MiB (step +%5.1f MiB)      %6.3f", Double(t.peakKiB) / 1024,
                             Double(t.peakKiB - t.baselineKiB) / 1024, Double(swift.peakKiB) / Double(t.peakKiB))
        }
        print(memory)
        if let torch {
            let diff = zip(swiftLogits, torch.eval_logits).map { abs($0 - $1) }.max() ?? .nan
            let scale = torch.eval_logits.map(abs).max() ?? 0
            print(String(format: "\neval logits, same weights and inputs: max |Swift − PyTorch| = %.2e (max |logit| %.3f)", diff, scale))
        }
    }

    /// Swift/PyTorch ratios for batch 8/32/128 × text length 16/32/77, as a Markdown table.
    private func runScaling() throws {
        print("Seed workload scaling, Swift/PyTorch time ratio (training step / inference), \(threads) threads, median of \(scalingRuns) after 2 warm-ups; load average \(Self.loadAverage)\n")
        let lengths = [16, 32, 77]
        print("| batch | " + lengths.map { "T = \($0)" }.joined(separator: " | ") + " |")
        print("|---|" + lengths.map { _ in "---|" }.joined())
        for b in [8, 32, 128] {
            var cells: [String] = []
            for t in lengths {
                let workload = SeedWorkload(batchSize: b, textLength: t)
                let peerInputs = workload.peerInputs()
                let (swift, _) = workload.measure(warmups: 2, runs: scalingRuns)
                let torch = try PyTorchPeer(script: peerScript).run(peerInputs, threads: threads, warmups: 2, runs: scalingRuns)
                cells.append(String(format: "%.2f / %.2f (%.0f / %.0f ms vs %.0f / %.0f ms)",
                                    swift.trainMilliseconds / torch.train_ms, swift.inferMilliseconds / torch.infer_ms,
                                    swift.trainMilliseconds, swift.inferMilliseconds, torch.train_ms, torch.infer_ms))
            }
            print("| \(b) | " + cells.joined(separator: " | ") + " |")
        }
    }

    static var loadAverage: String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }
}
