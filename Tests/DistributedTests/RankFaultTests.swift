import Foundation
import OwnDataFixtures
import Training
import XCTest

/// A rank that dies or stalls stops the whole job within a bounded time, naming the rank, instead of leaving the
/// others waiting forever; the last checkpoint stays valid and one process resumes the 2-rank run from it.
final class RankFaultTests: XCTestCase {
    private let mpirun = "/usr/bin/mpirun"

    /// A 2-rank training run of 150 steps in `data`'s "run" (a checkpoint every 5 steps), with a 3 s rank timeout.
    private func start(_ data: QuadrantData, output: FileHandle) throws -> Process {
        let crossmodal = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("crossmodal").path
        try "checkpoint_every: 5\nkeep_checkpoints: 2\n".write(to: data.url("config.yaml"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "-x", "CROSSMODAL_RANK_TIMEOUT=3", "-np", "2", crossmodal, "train",
                             "--data", data.url("train.jsonl").path, "--fusion", "co-attention", "--image-encoder", "small-cnn",
                             "--text-encoder", "learned", "--width", "16", "--image-size", "24", "--steps", "150", "--batch-size", "8",
                             "--eval-every", "0", "--config", data.url("config.yaml").path, "--out", data.url("run").path]
        (process.standardOutput, process.standardError) = (output, output)
        try process.run()
        return process
    }

    /// The pid of rank `rank` of the job writing to `directory`, once it has written a checkpoint.
    private func rankProcess(_ rank: Int, of data: QuadrantData) throws -> pid_t {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: data.url("run/checkpoints/step-000005/trainer.json").path) {
                for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
                    guard let pid = pid_t(entry),
                          let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")),
                          String(decoding: command, as: UTF8.self).contains(data.url("run").path),
                          let environment = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/environ")),
                          environment.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" })
                    else { continue }
                    return pid
                }
            }
            usleep(100_000)
        }
        throw XCTSkip("rank \(rank) never wrote its first checkpoint")
    }

    /// Sends `signal` to rank 1 and returns how long the job took to stop, and what it printed.
    private func fault(_ signal: Int32) throws -> (seconds: Double, output: String, data: QuadrantData) {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: mpirun), "\(mpirun) is missing: `make deps` installs openmpi-bin")
        let data = try QuadrantData(images: 24)
        FileManager.default.createFile(atPath: data.url("job.log").path, contents: nil)
        let output = try FileHandle(forWritingTo: data.url("job.log"))
        defer { try? output.close() }
        let job = try start(data, output: output)
        let rank1 = try rankProcess(1, of: data)
        let sent = Date()
        kill(rank1, signal)
        while job.isRunning && Date().timeIntervalSince(sent) < 120 { usleep(100_000) }
        let seconds = Date().timeIntervalSince(sent)
        if job.isRunning { job.terminate() }
        job.waitUntilExit()
        kill(rank1, SIGKILL)
        XCTAssertNotEqual(job.terminationStatus, 0)
        return (seconds, try String(contentsOf: data.url("job.log"), encoding: .utf8), data)
    }

    func testAStalledRankStopsTheJobWithinTheTimeoutNamingItAndOneProcessResumes() throws {
        let (seconds, output, data) = try fault(SIGSTOP)
        defer { data.remove() }
        // 3 s waiting in a collective, then up to 5 s for the ping to be answered, then mpirun's own stopping.
        XCTAssertLessThan(seconds, 20, output)
        XCTAssertTrue(output.contains("and rank 1 does not answer (stopped, stalled or unreachable): stopping the job"), output)

        // One process resumes from the newest checkpoint and finishes the run.
        let crossmodal = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("crossmodal").path
        let resumed = Process()
        resumed.executableURL = URL(fileURLWithPath: crossmodal)
        resumed.arguments = ["train", "--data", data.url("train.jsonl").path, "--fusion", "co-attention", "--image-encoder", "small-cnn",
                             "--text-encoder", "learned", "--width", "16", "--image-size", "24", "--steps", "150", "--batch-size", "8",
                             "--eval-every", "0", "--config", data.url("config.yaml").path, "--out", data.url("run").path, "--resume"]
        let log = Pipe()
        (resumed.standardOutput, resumed.standardError) = (log, log)
        try resumed.run()
        let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        resumed.waitUntilExit()
        XCTAssertEqual(resumed.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("resumed from"), text)
        XCTAssertEqual(MetricsLog.read(data.url("run/metrics.jsonl")).map(\.step), Array(1...150))
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.url("run/model.safetensors").path))
    }

    func testAKilledRankStopsTheJobAtOnceNamingIt() throws {
        let (seconds, output, data) = try fault(SIGKILL)
        defer { data.remove() }
        XCTAssertLessThan(seconds, 15, output)
        XCTAssertTrue(output.contains("rank 1") && output.contains("signal 9"), output)
    }
}
