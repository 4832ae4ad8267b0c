import ArgumentParser
import Benchmarks
import Foundation
import NN
import Optim
import Tensors

/// `crossmodal bench seed`: the guide's seed workload (training step and eval inference), optionally side by
/// side with the project's PyTorch eager peer on the same weights, inputs and thread count, the two sides
/// alternating repetition by repetition (`PairedComparison`).
struct SeedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Seed workload: training step and inference medians, GFLOP/s, % of the GEMM probe, peak memory; --peer pytorch interleaves the PyTorch peer and prints the median Swift/PyTorch ratio with its interval.")

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

    @Option(help: "Timed repetitions per side; with a peer, Swift/peer pairs timed turn about (at least 30 for the interval to mean much).")
    var pairs = 41

    @Option(help: "Warm-up repetitions per side before timing.")
    var warmups = 5

    @Option(help: "Seconds of idling before each repetition beside the peer, so that neither side's spinning worker threads (OpenBLAS, OpenMP) run into the other's.")
    var pause = 0.2

    @Option(help: "Buffer pool limit in MiB (0 turns buffer reuse off, to measure what it buys).")
    var poolLimitMib = BufferPool.limitBytes >> 20

    @Flag(help: "Print the batch 8/32/128 × text length 16/32/77 table of Swift/PyTorch ratios instead (runs the peer).")
    var scaling = false

    @Option(help: "Interleaved pairs per cell of the scaling table.")
    var scalingPairs = 9

    @Flag(help: "Print a per-op profile of the training step instead (Swift only; mean of --pairs steps after the warm-ups).")
    var profile = false

    @Flag(help: "Print each sgemm call of the training step instead: its shape and layout, and its own rate replayed alone (median of 9), against the GEMM probe (Swift only).")
    var gemms = false

    @Flag(help: "Count the instructions of a training step and of an inference with valgrind's callgrind instead: deterministic where times are not (1 thread; OpenBLAS's AVX2 kernels, since valgrind cannot run AVX-512). Several minutes.")
    var instructions = false

    @Option(help: "Batch size for --instructions (callgrind runs ~100× slower: a step at batch 32 takes over 10 minutes).")
    var countBatch = 4

    @Option(help: "Text length for --instructions.")
    var countTextLength = 16

    func validate() throws {
        if let peer, peer != "pytorch" { throw ValidationError("--peer must be 'pytorch', got '\(peer)'") }
        guard batch > 0, textLength > 0, threads > 0, pairs > 0, scalingPairs > 0, countBatch > 0, countTextLength > 0, warmups >= 0, pause >= 0 else {
            throw ValidationError("--batch, --text-length, --threads, --pairs, --scaling-pairs, --count-batch and --count-text-length must be positive, --warmups and --pause non-negative")
        }
    }

    func run() throws {
        BLAS.threads = threads
        Parallel.cores = threads
        BufferPool.limitBytes = poolLimitMib << 20
        if scaling { return try runScaling() }
        if profile { return runProfile() }
        if instructions { return try runInstructionCounts() }
        if gemms { return runGEMMTable() }
        let workload = SeedWorkload(batchSize: batch, textLength: textLength)
        let valid = workload.lengths.reduce(0, +)
        print("CrossModal seed benchmark — B=\(batch), \(SeedWorkload.regions) regions, text length \(textLength) (\(valid)/\(batch * textLength) tokens valid), \(threads) threads, "
              + (peer == nil ? "median of \(pairs) after \(warmups) warm-ups" : "\(pairs) pairs timed turn about with the peer after \(warmups) warm-ups each"))
        print("BLAS: \(BLASKernels.summary)")
        print("load average: \(Self.loadAverage)")
        let peak = GEMMProbe.gflops()
        print(String(format: "GEMM probe (raw sgemm): %.1f GFLOP/s", peak))
        print(String(format: "matmul work from the shapes, padded as PyTorch runs it: forward %.2f GFLOP, training step %.2f GFLOP",
                     workload.forwardFLOPs() / 1e9, workload.trainingFLOPs() / 1e9))
        print(String(format: "  executed by Swift (padded text tokens skipped):        forward %.2f GFLOP, training step %.2f GFLOP",
                     workload.forwardFLOPs(unpadded: true) / 1e9, workload.trainingFLOPs(unpadded: true) / 1e9))
        print("  GFLOP/s = padded work / time (comparable across both); % of probe = executed work / time / GEMM probe")
        let torch = try peer.map { _ in try PyTorchPeer(inputs: workload.peerInputs(), threads: threads, script: peerScript) }
        defer { torch?.stop() }
        workload.model.eval()
        let swiftLogits = workload.inference().scalars

        workload.model.train()
        let optimizer = AdamW(parameters: workload.model, learningRate: 1e-4, weightDecay: 0.01)
        let (baseline, peerBaseline) = (ProcessMemory.residentKiB, try torch?.resetPeak())
        ProcessMemory.resetPeak()
        let train = try compare(swift: { _ = workload.trainingStep(optimizer) }, peer: torch.map { t in { try t.trainingStep() } })
        let (swiftPeak, peerPeak) = (ProcessMemory.peakKiB, try torch?.peakKiB())
        workload.model.eval()
        let infer = try compare(swift: { _ = workload.inference() }, peer: torch.map { t in { try t.inference() } })
        let inferFloor = gemmFloor { _ = workload.inference() }
        workload.model.train()
        let trainFloor = gemmFloor { _ = workload.trainingStep(optimizer) }
        print("load average after: \(Self.loadAverage)")
        print(String(format: "GEMM probe after: %.1f GFLOP/s", GEMMProbe.gflops()))

        let header = torch.map { "    PyTorch \($0.torch) eager (\($0.threads) thr)" } ?? ""
        print("\n                 Swift                                 \(header)")
        for (name, flops, executed, times) in [("training step", workload.trainingFLOPs(), workload.trainingFLOPs(unpadded: true), train),
                                               ("inference", workload.forwardFLOPs(), workload.forwardFLOPs(unpadded: true), infer)] {
            let ms = Timing.median(times.a)
            var line = "  " + name.padding(toLength: 14, withPad: " ", startingAt: 0)
                + String(format: " %8.1f ms %6.1f GFLOP/s %5.1f%% of probe", ms, flops / ms / 1e6, 100 * executed / ms / 1e6 / peak)
            if torch != nil {
                let peerMs = Timing.median(times.b)
                line += String(format: "   %8.1f ms %6.1f GFLOP/s %5.1f%% of probe", peerMs, flops / peerMs / 1e6, 100 * flops / peerMs / 1e6 / peak)
            }
            print(line)
        }
        var memory = "  peak RSS      " + String(format: " %8.1f MiB (step +%5.1f MiB)        ", Double(swiftPeak) / 1024, Double(swiftPeak - baseline) / 1024)
        if let peerPeak, let peerBaseline {
            memory += String(format: "     %8.1f MiB (step +%5.1f MiB)", Double(peerPeak) / 1024, Double(peerPeak - peerBaseline) / 1024)
        }
        print(memory)
        print("\nGEMMs alone (each sgemm call of one repetition recorded, then replayed on buffers of its own, timed turn about with the repetition, \(pairs) pairs):")
        for (name, executed, floor) in [("training step", workload.trainingFLOPs(unpadded: true), trainFloor), ("inference", workload.forwardFLOPs(unpadded: true), inferFloor)] {
            let ms = Timing.median(floor.timing.a)
            print("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(format: " %8.1f ms for %d calls, %.2f GFLOP (%d per-head calls, %.2f GFLOP, not replayed): the whole %@ at that speed is %.1f%% of probe; it takes %.2f× the GEMMs' time",
                           ms, floor.replay.calls.count, floor.replay.flops / 1e9, floor.replay.skipped.count, floor.replay.skipped.map(\.flops).reduce(0, +) / 1e9,
                           name, 100 * executed / ms / 1e6 / peak, 1 / floor.timing.medianRatio))
        }
        guard let torch else { return }
        print("\nSwift/PyTorch time, median of \(pairs) interleaved pairs [interquartile range] (bootstrap 95% interval of the median):")
        for (name, times) in [("training step", train), ("inference", infer)] {
            let (q1, q3) = times.interquartileRange, (low, high) = times.interval()
            print("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(format: " %.3f [%.3f–%.3f] (%.3f–%.3f): ", times.medianRatio, q1, q3, low, high)
                  + times.verdict(a: "Swift", b: "PyTorch"))
        }
        let diff = zip(swiftLogits, torch.evalLogits).map { abs($0 - $1) }.max() ?? .nan
        let scale = torch.evalLogits.map(abs).max() ?? 0
        print(String(format: "\neval logits, same weights and inputs: max |Swift − PyTorch| = %.2e (max |logit| %.3f)", diff, scale))
    }

    /// Times `swift` `pairs` times after `warmups`, turn about with `peer` when there is one (its samples then
    /// in `b`; otherwise `b` repeats `a`).
    private func compare(swift: @escaping () -> Void, peer: (() throws -> Double)?, pairs: Int? = nil, warmups: Int? = nil) throws -> PairedComparison {
        let (pairs, warmups) = (pairs ?? self.pairs, warmups ?? self.warmups)
        guard let peer else {
            let samples = Timing.samples(warmups: warmups, runs: pairs, swift)
            return PairedComparison(a: samples, b: samples)
        }
        return try PairedComparison.measure(pairs: pairs, warmups: warmups, pause: pause, a: { Timing.milliseconds(swift) }, b: peer)
    }

    /// The GEMM floor of `body`: its sgemm calls recorded in one run and replayed alone (`GEMMReplay`), the
    /// replay timed turn about with `body` (a = replay, b = body).
    private func gemmFloor(_ body: @escaping () -> Void) -> (replay: GEMMReplay, timing: PairedComparison) {
        let recorder = GEMMRecorder()
        recorder.record(body)
        let replay = GEMMReplay(recorder.calls, threads: threads)
        return (replay, PairedComparison.measure(pairs: pairs, warmups: 2, a: { Timing.milliseconds(replay.run) }, b: { Timing.milliseconds(body) }))
    }

    /// The seed workload in training mode with its optimizer, after `warmups` training steps.
    private func warmedUpTraining() -> (SeedWorkload, AdamW) {
        let workload = SeedWorkload(batchSize: batch, textLength: textLength)
        workload.model.train()
        let optimizer = AdamW(parameters: workload.model, learningRate: 1e-4, weightDecay: 0.01)
        for _ in 0..<warmups { _ = workload.trainingStep(optimizer) }
        return (workload, optimizer)
    }

    /// The training step's sgemm calls one by one, as a Markdown table: layout, shape, time and rate alone.
    private func runGEMMTable() {
        let (workload, optimizer) = warmedUpTraining()
        let recorder = GEMMRecorder()
        recorder.record { _ = workload.trainingStep(optimizer) }
        let replay = GEMMReplay(recorder.calls, threads: threads)
        let probe = GEMMProbe.gflops()
        let ms = replay.callMilliseconds()
        let total = ms.reduce(0, +)
        print("sgemm calls of one seed training step — B=\(batch), text length \(textLength), \(threads) threads, each replayed alone (median of 9); GEMM probe \(String(format: "%.1f", probe)) GFLOP/s; BLAS: \(BLASKernels.summary)")
        print("\(replay.skipped.count) single-threaded per-head calls (\(String(format: "%.2f", replay.skipped.map(\.flops).reduce(0, +) / 1e9)) GFLOP) not shown\n")
        print("| # | op(A) · op(B) | m × n × k | β | GFLOP | ms | GFLOP/s | % of probe |")
        print("|---:|---|---|---:|---:|---:|---:|---:|")
        for (i, (call, t)) in zip(replay.calls, ms).enumerated() {
            let layout = (call.transA ? "Aᵀ" : "A") + " · " + (call.transB ? "Bᵀ" : "B")
            print(String(format: "| %d | %@ | %d × %d × %d | %g | %.3f | %.2f | %.1f | %.1f%% |", i + 1, layout, call.m, call.n, call.k, call.beta,
                         call.flops / 1e9, t, call.flops / t / 1e6, 100 * call.flops / t / 1e6 / probe))
        }
        print(String(format: "| all | | | | %.2f | %.2f | %.1f | %.1f%% |", replay.flops / 1e9, total, replay.flops / total / 1e6, 100 * replay.flops / total / 1e6 / probe))
    }

    /// Time per op kind of the training step, forward and backward, with the clipping and the optimizer step.
    private func runProfile() {
        let (workload, optimizer) = warmedUpTraining()
        let profile = OpProfile()
        var clip = 0.0, update = 0.0, steps: [Double] = []
        for _ in 0..<pairs {
            steps.append(Timing.milliseconds {
                let (c, u) = workload.trainingStep(optimizer, profile: profile)
                (clip, update) = (clip + c, update + u)
            })
        }
        let n = Double(pairs), total = steps.reduce(0, +) / n
        let probe = GEMMProbe.gflops()
        print("Per-op profile of the seed training step — B=\(batch), text length \(textLength), \(threads) threads, mean of \(pairs) steps after \(warmups) warm-ups; BLAS: \(BLASKernels.summary)")
        print(String(format: "step %.1f ms (median %.1f ms); matmul work executed %.2f GFLOP = %.1f ms at the GEMM probe's %.1f GFLOP/s (%.0f%% of the step)",
                     total, Timing.median(steps), workload.trainingFLOPs(unpadded: true) / 1e9, workload.trainingFLOPs(unpadded: true) / probe / 1e6, probe,
                     100 * workload.trainingFLOPs(unpadded: true) / probe / 1e6 / total))
        print("\n| op | calls/step | forward ms | backward ms | total ms | share |")
        print("|---|---:|---:|---:|---:|---:|")
        var rows: [(String, Int, Double, Double)] = []
        for op in Set(profile.forward.keys).union(profile.backward.keys) {
            let f = profile.forward[op], b = profile.backward[op]
            rows.append((op, (f?.calls ?? b?.calls ?? 0) / pairs, (f?.seconds ?? 0) * 1e3 / n, (b?.seconds ?? 0) * 1e3 / n))
        }
        rows += [("clipGradNorm", 1, 0, clip * 1e3 / n), ("AdamW step", 1, 0, update * 1e3 / n)]
        let counted = rows.map { $0.2 + $0.3 }.reduce(0, +)
        rows.append(("rest (tape set-up, seed gradient, ready hooks)", 1, 0, total - counted))
        for (op, calls, f, b) in rows.sorted(by: { $0.2 + $0.3 > $1.2 + $1.3 }) {
            print(String(format: "| %@ | %d | %.2f | %.2f | %.2f | %.1f%% |", op, calls, f, b, f + b, 100 * (f + b) / total))
        }
    }

    /// Instructions per training step and per inference: callgrind's count of a run doing 3 of them less that
    /// of a run doing 1, halved, so set-up and the first step's one-time work cancel out.
    private func runInstructionCounts() throws {
        let valgrind = "/usr/bin/valgrind"
        guard FileManager.default.isExecutableFile(atPath: valgrind) else {
            throw ValidationError("\(valgrind) is missing: `make deps` installs Debian's valgrind")
        }
        print("Instruction counts of the seed workload — B=\(countBatch), text length \(countTextLength), 1 thread, valgrind --tool=callgrind, OpenBLAS Haswell (AVX2) kernels")
        print("(perf stat would count the AVX-512 run itself, but this VM exposes no hardware counters: perf reports instructions and cycles <not supported>)")
        for kind in ["train", "infer"] {
            let counts = try [1, 3].map { n in try callgrindCount(valgrind, only: "\(kind):\(n)") }
            let perStep = Double(counts[1] - counts[0]) / 2
            print(String(format: "  %@  %.3f G instructions per %@ (runs of 1 and 3: %.3f G, %.3f G)", kind == "train" ? "training step" : "inference    ",
                         perStep / 1e9, kind == "train" ? "step" : "pass", Double(counts[0]) / 1e9, Double(counts[1]) / 1e9))
        }
    }

    private func callgrindCount(_ valgrind: String, only: String) throws -> Int {
        let parts = only.split(separator: ":").map(String.init)
        let probe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .deletingLastPathComponent().appendingPathComponent("SeedProbe")
        // Valgrind cannot read the DWARF 5 the Swift toolchain writes: it counts a copy without debug information.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("seed-probe-\(getpid())")
        try? FileManager.default.removeItem(at: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        _ = try ChildProcess.output(["/usr/bin/objcopy", "--strip-debug", probe.path, copy.path])
        let text = try ChildProcess.output([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", copy.path, parts[0], parts[1],
                                            String(countBatch), String(countTextLength)],
                                           environment: ["OPENBLAS_CORETYPE": "Haswell"])
        guard let line = text.split(separator: "\n").first(where: { $0.contains("Collected :") }),
              let count = line.split(separator: " ").last.flatMap({ Int($0) }) else {
            throw ValidationError("callgrind did not count `SeedProbe \(parts.joined(separator: " "))`: \(text.suffix(500))")
        }
        return count
    }

    /// Swift/PyTorch ratios for batch 8/32/128 × text length 16/32/77, as a Markdown table.
    private func runScaling() throws {
        print("Seed workload scaling, Swift/PyTorch time ratio (training step / inference), \(threads) threads, median of \(scalingPairs) interleaved pairs after 2 warm-ups; BLAS: \(BLASKernels.summary); load average \(Self.loadAverage)\n")
        let lengths = [16, 32, 77]
        print("| batch | " + lengths.map { "T = \($0)" }.joined(separator: " | ") + " |")
        print("|---|" + lengths.map { _ in "---|" }.joined())
        for b in [8, 32, 128] {
            var cells: [String] = []
            for t in lengths {
                let workload = SeedWorkload(batchSize: b, textLength: t)
                let torch = try PyTorchPeer(inputs: workload.peerInputs(), threads: threads, script: peerScript)
                defer { torch.stop() }
                workload.model.train()
                let optimizer = AdamW(parameters: workload.model, learningRate: 1e-4, weightDecay: 0.01)
                let train = try compare(swift: { _ = workload.trainingStep(optimizer) }, peer: { try torch.trainingStep() }, pairs: scalingPairs, warmups: 2)
                workload.model.eval()
                let infer = try compare(swift: { _ = workload.inference() }, peer: { try torch.inference() }, pairs: scalingPairs, warmups: 2)
                cells.append(String(format: "%.2f / %.2f (%.0f / %.0f ms vs %.0f / %.0f ms)", train.medianRatio, infer.medianRatio,
                                    Timing.median(train.a), Timing.median(infer.a), Timing.median(train.b), Timing.median(infer.b)))
            }
            print("| \(b) | " + cells.joined(separator: " | ") + " |")
        }
    }

    static var loadAverage: String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }
}
