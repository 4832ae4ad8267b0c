import Benchmarks
import Foundation
import Glibc
import XCTest

/// The load generator against a canned HTTP/1.1 server on 127.0.0.1: it keeps its connections alive, counts
/// answers by status, sums `X-Batch-Size`, records a latency per answer and stops by itself when its window ends.
final class LoadGeneratorTests: XCTestCase {
    /// A server on a free port answering every request on every connection with `status` and `X-Batch-Size: 3`;
    /// counts the connections it accepted.
    private final class CannedServer: @unchecked Sendable {
        let port: Int
        private let listener: Int32
        private let lock = NSLock()
        private var accepted = 0
        var connections: Int { lock.withLock { accepted } }

        init(status: Int) throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.listener = listener
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
            }
            port = Int(UInt16(bigEndian: address.sin_port))
            guard bound, listen(listener, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
            let answer = Array("HTTP/1.1 \(status) X\r\nContent-Length: 2\r\nX-Batch-Size: 3\r\n\r\nok".utf8)
            Thread { [self] in
                while true {
                    let fd = accept(listener, nil, nil)
                    guard fd >= 0 else { return }
                    lock.withLock { accepted += 1 }
                    Thread {
                        var pending: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
                        while true {
                            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                            guard n > 0 else { close(fd); return }
                            pending += chunk[..<n]
                            // Each request is a header and a 2-byte body ("{}").
                            while let end = (0..<max(0, pending.count - 3)).first(where: { pending[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }),
                                  pending.count >= end + 6 {
                                pending.removeFirst(end + 6)
                                _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                            }
                        }
                    }.start()
                }
            }.start()
        }

        deinit { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
    }

    private let request = LoadGenerator.Request(path: "/v1/answer", body: Data("{}".utf8))

    func testAnswersAreCountedTimedAndBatchSizesSummedOverKeptAliveConnections() throws {
        let server = try CannedServer(status: 200)
        let start = Date()
        let result = LoadGenerator.run(port: server.port, clients: 4, warmUpSeconds: 0.2, seconds: 1, requests: [request])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "stops by itself after its window")
        XCTAssertGreaterThan(result.ok, 10)
        XCTAssertEqual(result.failures, [:])
        XCTAssertEqual(result.meanBatchSize, 3)
        XCTAssertEqual(Int(result.latencies.totalCount), result.ok)
        XCTAssertEqual(result.requestsPerSecond, Double(result.ok), accuracy: 1e-9, "a 1 s window")
        XCTAssertLessThanOrEqual(result.milliseconds(50), result.milliseconds(99))
        XCTAssertEqual(server.connections, 4, "one kept-alive connection per client")
    }

    func testOtherStatusesAreFailuresByStatus() throws {
        let server = try CannedServer(status: 503)
        let result = LoadGenerator.run(port: server.port, clients: 2, warmUpSeconds: 0, seconds: 0.5, requests: [request])
        XCTAssertEqual(result.ok, 0)
        XCTAssertGreaterThan(result.failures[503] ?? 0, 0)
        XCTAssertEqual(Set(result.failures.keys), [503])
    }
}
