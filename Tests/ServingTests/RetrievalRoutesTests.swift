import Foundation
import HTTPTypes
@testable import OwnData
@testable import Serving
import XCTest

/// `POST /v1/retrieve` over an index built at start (results ordered by score, `top_k` honoured, the index's own
/// search), and `GET /v1/images/{id}`, which serves indexed images and nothing else.
final class RetrievalRoutesTests: XCTestCase {
    private func retrieve(_ port: Int, _ fields: [String: Any]) async throws -> HTTPExchange {
        try await HTTPExchange.send(port, .post, "/v1/retrieve", body: HTTPExchange.json(fields))
    }

    func testResultsAreTheIndexsSearchOrderedByScoreWithTopKHonoured() async throws {
        let data = try ServingBundles.data
        var limits = ServingLimits()
        limits.shortlist = 6
        try await serve(try ServingBundles.match, index: data.url("train.jsonl"), limits: limits) { port, server in
            let health = try await HTTPExchange.send(port, .get, "/healthz")
            XCTAssertEqual(health.json["index"] as? Int, 20)
            let reply = try await retrieve(port, ["text": "where is the blue square?", "top_k": 4])
            XCTAssertEqual(reply.status, 200, reply.error.message)
            let results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
            XCTAssertEqual(results.count, 4)
            let scores = results.compactMap { $0["score"] as? Double }
            XCTAssertEqual(scores, scores.sorted(by: >))
            let expected = try XCTUnwrap(server.engine.index).search(["where is the blue square?"], topK: 4, shortlist: 6)[0]
            XCTAssertEqual(results.compactMap { $0["id"] as? String }, expected.map { String($0.image) })
            XCTAssertEqual(results.compactMap { $0["image"] as? String }, expected.map { server.engine.index!.names[$0.image] })
            let defaulted = try await retrieve(port, ["text": "where is the blue square?"])
            XCTAssertEqual((defaulted.json["results"] as? [Any])?.count, 10, "top_k defaults to 10")

            for (fields, code) in [(["text": "x", "top_k": 21], "invalid_top_k"), (["text": "x", "top_k": 0], "invalid_top_k"),
                                   (["text": ""], "invalid_text"), (["text": "x", "image": "x"], "invalid_image")] as [([String: Any], String)] {
                let refused = try await retrieve(port, fields)
                XCTAssertEqual(refused.status, 400, "\(fields)")
                XCTAssertEqual(refused.error.code, code, "\(fields): \(refused.error.message)")
            }
        }
    }

    func testTheImageRouteServesIndexedImagesOnly() async throws {
        let data = try ServingBundles.data
        try await serve(try ServingBundles.match, index: data.url("train.jsonl")) { port, server in
            let index = try XCTUnwrap(server.engine.index)
            let first = try await HTTPExchange.send(port, .get, "/v1/images/0")
            XCTAssertEqual(first.status, 200)
            XCTAssertEqual(first.headers[.contentType], "image/png")
            XCTAssertEqual(first.body, try Data(contentsOf: index.urls[0]))
            for path in ["/v1/images/20", "/v1/images/-1", "/v1/images/01", "/v1/images/x", "/v1/images/%2Fetc%2Fpasswd",
                         "/v1/images/" + data.url("images/0.png").path, "/v1/images/../../etc/passwd"] {
                let reply = try HTTPExchange.raw(port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                XCTAssertTrue(reply.hasPrefix("HTTP/1.1 404"), "\(path): \(reply)")
                XCTAssertTrue(reply.contains(#""code":"not_found""#), "\(path): \(reply)")
            }
            let post = try await HTTPExchange.send(port, .post, "/v1/images/0", body: Data("{}".utf8))
            XCTAssertEqual(post.status, 405)
            XCTAssertEqual(post.headers[.allow], "GET")
        }
    }

    func testWithoutAnIndexRetrievalSaysHowToGetOneAndAClassifierRefusesAnIndex() async throws {
        try await serve(try ServingBundles.match, index: nil) { port, _ in
            let reply = try await retrieve(port, ["text": "where is the red square?"])
            XCTAssertEqual(reply.status, 404)
            XCTAssertEqual(reply.error.code, "no_index")
            XCTAssertTrue(reply.error.message.contains("--index"), reply.error.message)
            let image = try await HTTPExchange.send(port, .get, "/v1/images/0")
            XCTAssertEqual(image.status, 404)
        }
        XCTAssertThrowsError(try ModelServer(model: try ServingBundles.classify, cacheRoot: try ServingBundles.data.url("cache"),
                                             index: try ServingBundles.data.url("train.jsonl"))) { error in
            XCTAssertTrue("\(error)".contains("serve a model trained with --task match"), "\(error)")
        }
    }
}
