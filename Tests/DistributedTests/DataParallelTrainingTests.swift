import Foundation
import OwnData
import OwnDataFixtures
import Tensors
import Training
import XCTest

/// `mpirun -np 2 crossmodal train` trains the model one process trains (co-attention on the small CNN, whose
/// batch norm then sees the global batch, and the learned text encoder): the same losses at every step to
/// 1e-4 and the same logits to 1e-2 (2.5e-3 measured); `--resume` continues from rank 0's checkpoint on 2 ranks
/// or 1; and ranks started with different settings both stop, naming the rank and the field.
final class DataParallelTrainingTests: XCTestCase {
    private let mpirun = "/usr/bin/mpirun"

    private func executable() throws -> String {
        let url = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("crossmodal")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: url.path), "\(url.path) is missing: `swift build --build-tests` builds it")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: mpirun), "\(mpirun) is missing: `make deps` installs openmpi-bin")
        return url.path
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let out = Pipe()
        (process.standardOutput, process.standardError) = (out, out)
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    private func train(_ data: QuadrantData, out: String, steps: Int = 10) throws -> [String] {
        [try executable(), "train", "--data", data.url("train.jsonl").path, "--fusion", "co-attention", "--image-encoder", "small-cnn",
         "--text-encoder", "learned", "--width", "16", "--image-size", "24", "--steps", String(steps), "--batch-size", "8",
         "--learning-rate", "3e-3", "--eval-every", "0", "--out", data.url(out).path]
    }

    func testTwoRanksTrainTheOneProcessModel() throws {
        let data = try QuadrantData(images: 24)
        defer { data.remove() }
        let alone = try run(try train(data, out: "one"))
        XCTAssertEqual(alone.status, 0, alone.output)
        let together = try run([mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2"] + (try train(data, out: "two")))
        XCTAssertEqual(together.status, 0, together.output)

        let (one, two) = (MetricsLog.read(data.url("one/metrics.jsonl")), MetricsLog.read(data.url("two/metrics.jsonl")))
        XCTAssertEqual(one.count, 10)
        XCTAssertEqual(two.map(\.step), one.map(\.step), "rank 0 alone writes the metrics")
        for (a, b) in zip(one, two) { XCTAssertEqual(b.loss, a.loss, accuracy: 1e-4 * abs(a.loss), "step \(a.step)") }

        // The two runs compute the same function: their logits on the validation images agree to 1e-2 of the
        // largest. (Weights are not compared one by one: parameters whose exact gradient is zero — conv biases
        // before batch norm, attention key biases — get rounding noise as gradient, which Adam turns into steps
        // of up to the learning rate in either run; they do not change any output.)
        let (_, modelOne) = try ModelBundle.load(data.url("one")), (_, modelTwo) = try ModelBundle.load(data.url("two"))
        let val = try InputPipeline(config: modelOne.config, cacheRoot: data.url("cache")).prepare(try Manifest.load(data.url("val.jsonl")))
        let batch = try val.batch(imageIndices: Array(0..<val.imageCount))
        modelOne.eval()
        modelTwo.eval()
        let (a, b) = try Tape.withoutRecording { (try modelOne(batch).scalars, try modelTwo(batch).scalars) }
        let scale = a.map(abs).max()!, worst = zip(a, b).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst / scale, 1e-2, "logits differ by up to \(worst) of \(scale)")
        XCTAssertTrue(try Safetensors.read(data.url("two/model.safetensors")).keys.contains("image_encoder.layers.1.running_mean"),
                      "the small CNN has batch norm")
    }

    /// `--resume` under mpirun: both ranks continue from rank 0's newest checkpoint (sent to rank 1, not read by
    /// it) and log the uninterrupted run's losses; one process resumes the 2-rank run as well (to rounding).
    func testResumeContinuesFromRankZerosCheckpointOnTwoRanksOrOne() throws {
        let data = try QuadrantData(images: 24)
        defer { data.remove() }
        try "checkpoint_every: 5\nkeep_checkpoints: 3\n".write(to: data.url("config.yaml"), atomically: true, encoding: .utf8)
        let command = try train(data, out: "run") + ["--config", data.url("config.yaml").path]
        let twoRanks = [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "2"]
        let whole = try run(twoRanks + command)
        XCTAssertEqual(whole.status, 0, whole.output)
        let reference = MetricsLog.read(data.url("run/metrics.jsonl"))
        XCTAssertEqual(reference.map(\.step), Array(1...10))
        for (launcher, tolerance) in [(twoRanks, Float(0)), ([], 1e-4)] {
            try FileManager.default.removeItem(at: data.url("run/checkpoints/step-000010"))
            let resumed = try run(launcher + command + ["--resume"])
            XCTAssertEqual(resumed.status, 0, resumed.output)
            XCTAssertTrue(resumed.output.contains("step-000005 at step 5"), resumed.output)
            let losses = MetricsLog.read(data.url("run/metrics.jsonl"))
            XCTAssertEqual(losses.map(\.step), Array(1...10), "steps 6–10 replace the removed ones")
            for (a, b) in zip(reference, losses) { XCTAssertEqual(b.loss, a.loss, accuracy: tolerance * abs(a.loss), "\(launcher.count) step \(a.step)") }
        }
    }

    func testRanksWithDifferentSettingsBothStopNamingTheRankAndField() throws {
        let data = try QuadrantData(images: 12)
        defer { data.remove() }
        // Each rank's output goes to a file of its own: mpirun may stop forwarding a rank's output once another failed.
        var otherData = try train(data, out: "run")
        otherData[otherData.firstIndex(of: data.url("train.jsonl").path)!] = data.url("val.jsonl").path
        for (n, (second, field)) in [(try train(data, out: "run", steps: 12), "training config"), (otherData, "training data")].enumerated() {
            let logs = data.url("logs-\(n)")
            let mismatched = try run([mpirun, "--allow-run-as-root", "--oversubscribe", "--output-filename", logs.path, "-np", "1"]
                                     + (try train(data, out: "run")) + [":", "-np", "1"] + second)
            XCTAssertNotEqual(mismatched.status, 0)
            let files = FileManager.default.enumerator(at: logs, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
            let written = try files.filter { $0.lastPathComponent == "stderr" }.map { try String(contentsOf: $0, encoding: .utf8) }.joined()
            XCTAssertTrue((mismatched.output + written).contains("rank 1 has another \(field) than rank 0"), mismatched.output + written)
        }
    }
}
