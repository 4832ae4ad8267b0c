import Foundation
import XCTest

/// The real `crossmodal serve` process: it prints where it listens, answers, and on SIGTERM answers every
/// request in flight and exits 0.
final class ServeCommandTests: XCTestCase {
    private func executable() throws -> URL {
        let url = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("crossmodal")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw XCTSkip("\(url.path) is missing: build it with `swift build --build-tests` (swift test builds it too)")
        }
        return url
    }

    func testSIGTERMAnswersTheRequestsInFlightAndExitsZero() async throws {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = ["serve", "--model", try ServingBundles.classify.path, "--port", "0", "--batch-wait-ms", "1500"]
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var printed = Data()
        while !String(decoding: printed, as: UTF8.self).contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            printed += chunk
        }
        let banner = String(decoding: printed, as: UTF8.self)
        let port = try XCTUnwrap(banner.range(of: #"(?<=http://127\.0\.0\.1:)\d+"#, options: .regularExpression).flatMap { Int(banner[$0]) }, banner)
        XCTAssertTrue(banner.contains("(classify, co-attention, small-cnn + learned)"), banner)

        let body = HTTPExchange.json(["image": try ServingBundles.png(3).base64EncodedString(), "text": "where is the red square?"])
        let inFlight = (0..<8).map { _ in Task { try await HTTPExchange.send(port, .post, "/v1/answer", body: body) } }
        try await Task.sleep(for: .milliseconds(700))  // all 8 are waiting for their 1.5 s batch
        kill(process.processIdentifier, SIGTERM)
        for task in inFlight {
            let reply = try await task.value
            XCTAssertEqual(reply.status, 200, reply.error.message)
            XCTAssertEqual(reply.batchSize, 8)
        }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(log.components(separatedBy: "\n").filter { $0.contains("POST /v1/answer 200") && $0.contains("batch 8") }.count, 8, log)
        XCTAssertTrue(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("stopped"))
    }
}
