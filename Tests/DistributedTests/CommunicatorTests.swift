import Foundation
import XCTest

/// The collectives for real: `DistributedProbe` (built with the tests) alone is a world of one that never
/// calls MPI, and under `mpirun -np 2` its two ranks sum, average, take the maximum, broadcast and gather, average
/// gradients in buckets, share rank 0's bytes and the outcome of work rank 0 does alone.
final class CommunicatorTests: XCTestCase {
    private func probe() throws -> URL {
        let url = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("DistributedProbe")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: url.path),
                      "\(url.path) is missing: build it with `swift build --build-tests` (swift test builds it too)")
        return url
    }

    /// The "rank …" lines `executable` printed, sorted, and its status.
    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: [String]) {
        let (status, text) = try runChild([executable] + arguments)
        return (status, text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("rank ") }.sorted())
    }

    func testAloneItIsAWorldOfOne() throws {
        let (status, lines) = try run(try probe().path, [])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(lines, [#"rank 0 buckets [["c", "b"], ["a"]] averaged [[1.0, 2.0], [3.0, 4.0, 5.0, 6.0], [7.0]] parameters [[1.0, 2.0], [3.0, 4.0, 5.0, 6.0], [7.0]]"#,
                               "rank 0 bytes rank zero's file; on root: hello from rank 0; failed: no such file",
                               #"rank 0 of 1: sum [0.0, 1.0, 2.0, 3.0, 4.0] mean [1.0] max [0.0, 10.0] broadcast [1.0, 2.0, 3.0] names ["rank zero"] numbers [1]"#])
    }

    func testTwoRanksUnderMpirunShareEveryCollective() throws {
        let mpirun = "/usr/bin/mpirun"
        guard FileManager.default.isExecutableFile(atPath: mpirun) else {
            return XCTFail("\(mpirun) is missing: `make deps` installs Debian's openmpi-bin and libopenmpi-dev")
        }
        let (status, lines) = try run(mpirun, ["--allow-run-as-root", "--oversubscribe", "-np", "2", try probe().path])
        XCTAssertEqual(status, 0, "\(lines)")
        let shared = #"sum [10.0, 12.0, 14.0, 16.0, 18.0] mean [1.5] max [1.0, 10.0] broadcast [1.0, 2.0, 3.0] names ["rank zero", "rank 1, ünïcode"] numbers [1, 8]"#
        // Means of 1× and 2× the values, and of 1× and nothing for "c"; then rank 0's parameters everywhere.
        let buckets = #"buckets [["c", "b"], ["a"]] averaged [[1.5, 3.0], [4.5, 6.0, 7.5, 9.0], [3.5]] parameters [[1.0, 2.0], [3.0, 4.0, 5.0, 6.0], [7.0]]"#
        // Rank 0's bytes and result on both; its failure rethrown on rank 0 and named on rank 1.
        let onRoot = "bytes rank zero's file; on root: hello from rank 0; failed: "
        XCTAssertEqual(lines, ["rank 0 " + buckets, "rank 0 " + onRoot + "no such file", "rank 0 of 2: " + shared, "rank 1 " + buckets,
                               "rank 1 " + onRoot + "rank 0 could not open a file: no such file", "rank 1 of 2: " + shared])
    }
}
