import Benchmarks
import XCTest

/// The live peer protocol against a shell script: "ready", one JSON line per command, clear failures.
final class PeerProcessTests: XCTestCase {
    private let script = """
        echo ready
        while read command; do
          case "$command" in
            run) echo '{"ms": 1.5}' ;;
            info) echo '{"torch": "x"}' ;;
            *) echo "what is $command" ;;
          esac
        done
        """

    func testAnswersEachCommandWithItsJSONLine() throws {
        let peer = try PeerProcess(["sh", "-c", script], hint: "fix it")
        XCTAssertEqual(try peer.milliseconds("run"), 1.5)
        XCTAssertEqual(try peer.ask("info")["torch"] as? String, "x")
        XCTAssertEqual(try peer.milliseconds("run"), 1.5)
        XCTAssertThrowsError(try peer.ask("dance")) { error in
            XCTAssertTrue("\(error)".contains("answered \"dance\" with \"what is dance\", not a JSON object"), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("fix it"), "\(error)")
        }
        XCTAssertThrowsError(try peer.milliseconds("info")) { XCTAssertTrue("\($0)".contains("has no \"ms\""), "\($0)") }
        peer.stop()
        XCTAssertThrowsError(try peer.ask("run")) { XCTAssertTrue("\($0)".contains("it has exited"), "\($0)") }
    }

    func testAPeerThatDiesBeforeReadySaysSo() {
        XCTAssertThrowsError(try PeerProcess(["sh", "-c", "echo 'no module named torch' >&2; exit 1"], hint: "install torch")) { error in
            XCTAssertTrue("\(error)".contains("did not print \"ready\""), "\(error)")
            XCTAssertTrue("\(error)".contains("install torch"), "\(error)")
        }
    }
}
