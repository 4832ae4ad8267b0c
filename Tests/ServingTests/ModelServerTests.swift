import Foundation
import HTTPTypes
import Imaging
import Logging
import OwnData
@testable import Serving
import XCTest

/// The HTTP API end to end on 127.0.0.1 with an ephemeral port and tiny bundles trained in the test: every
/// route, every kind of bad input (each followed by a good request), batching that changes no answer, the
/// bounded queue, the metrics and the OpenAPI document.
final class ModelServerTests: XCTestCase {
    private func question(_ index: Int, _ text: String = "where is the red square?", extra: [String: Any] = [:]) throws -> Data {
        HTTPExchange.json(["image": try ServingBundles.png(index).base64EncodedString(), "text": text].merging(extra) { $1 })
    }

    private func predictor(_ bundle: URL) throws -> ImageTextPredictor {
        ImageTextPredictor(model: try ModelBundle.load(bundle).model, cacheRoot: try ServingBundles.data.url("cache"))
    }

    func testHealthMetricsAndAnOpenAPIDocumentOfEveryRoute() async throws {
        try await serve(try ServingBundles.classify) { port, server in
            let health = try await HTTPExchange.send(port, .get, "/healthz")
            XCTAssertEqual(health.status, 200)
            XCTAssertEqual(health.json["task"] as? String, "classify")
            XCTAssertEqual(health.json["fusion"] as? String, "co-attention")
            XCTAssertEqual(health.json["image_encoder"] as? String, "small-cnn")
            XCTAssertEqual(health.json["text_encoder"] as? String, "learned")
            XCTAssertEqual(health.json["labels"] as? Int, 4)
            XCTAssertEqual(health.json["model"] as? String, "classify")

            let openAPI = try await HTTPExchange.send(port, .get, "/openapi.json")
            XCTAssertEqual(openAPI.json["openapi"] as? String, "3.1.0")
            let paths = try XCTUnwrap(openAPI.json["paths"] as? [String: [String: Any]])
            XCTAssertEqual(server.routes.count, 8)
            for route in server.routes {
                let parts = route.split(separator: " ").map(String.init)
                XCTAssertNotNil(paths[parts[1]]?[parts[0].lowercased()], "\(route) is registered but not in /openapi.json")
            }
            XCTAssertEqual(paths.values.map(\.count).reduce(0, +), server.routes.count, "the document lists only registered routes")
            let schemas = try XCTUnwrap((openAPI.json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            for case let reference as String in Self.references(in: openAPI.json) {
                XCTAssertNotNil(schemas[String(reference.split(separator: "/").last!)], "\(reference) is not defined")
            }

            _ = try await HTTPExchange.send(port, .post, "/v1/answer", body: try question(0))
            _ = try await HTTPExchange.send(port, .get, "/nowhere")
            let metrics = try await HTTPExchange.send(port, .get, "/metrics")
            XCTAssertEqual(metrics.status, 200)
            XCTAssertTrue(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(decoding: metrics.body, as: UTF8.self)
            for line in [#"crossmodal_http_requests_total{route="/v1/answer",status="200"} 1"#,
                         #"crossmodal_http_requests_total{route="unmatched",status="404"} 1"#,
                         #"crossmodal_http_requests_total{route="/healthz",status="200"} 1"#,
                         #"crossmodal_batch_size_count{route="/v1/answer"} 1"#, "crossmodal_queue_depth 0"] {
                XCTAssertTrue(text.contains(line), "\(line) missing from\n\(text)")
            }
            XCTAssertTrue(text.contains(#"crossmodal_http_request_duration_seconds_bucket{route="/v1/answer",le="+Inf"} 1"#), text)
        }
    }

    func testABusyPortIsATypedErrorSayingWhatToDo() async throws {
        let second = try ModelServer(model: try ServingBundles.classify, cacheRoot: try ServingBundles.data.url("cache"))
        try await serve(try ServingBundles.classify) { port, _ in
            do {
                try await second.run(host: "127.0.0.1", port: port, onRunning: { _ in XCTFail("bound a busy port") })
                XCTFail("run returned")
            } catch let error as ServingError {
                XCTAssertEqual(error, .cannotListen(host: "127.0.0.1", port: port,
                                                   reason: "the address is already in use: stop the other server or pass --port 0 for any free port"))
            }
        }
    }

    private static func references(in value: Any) -> [Any] {
        if let object = value as? [String: Any] { return (object["$ref"].map { [$0] } ?? []) + object.values.flatMap { references(in: $0) } }
        if let array = value as? [Any] { return array.flatMap { references(in: $0) } }
        return []
    }

    func testAnswersOverJSONAndMultipartAreThePredictorsWithAttentionMaps() async throws {
        let bundle = try ServingBundles.classify
        let expected = try predictor(bundle).answer(image: try PNG.decode(try ServingBundles.png(2)), text: "where is the blue square?", topK: 4)
        let alone = try predictor(bundle), grid = alone.model.grid
        let maps = try alone.attentionMaps(image: try PNG.decode(try ServingBundles.png(2)), text: "where is the blue square?")
        try await serve(bundle) { port, _ in
            let reply = try await HTTPExchange.send(port, .post, "/v1/answer",
                                                    body: try question(2, "where is the blue square?", extra: ["top_k": 4, "attention": true]))
            XCTAssertEqual(reply.status, 200, reply.error.message)
            let answers = try XCTUnwrap(reply.json["answers"] as? [[String: Any]])
            XCTAssertEqual(answers.map { $0["label"] as? String }, expected.map(\.label))
            for (got, want) in zip(answers, expected) { XCTAssertEqual(got["probability"] as! Double, want.probability, accuracy: 1e-5) }
            let attention = try XCTUnwrap(reply.json["attention"] as? [String: Any])
            XCTAssertEqual(attention["grid"] as? [Int], [grid.height, grid.width])
            XCTAssertEqual(grid.height * grid.width, maps[0].count)
            let heads = try XCTUnwrap(attention["heads"] as? [[Double]])
            XCTAssertEqual(heads.count, maps.count)
            for (got, want) in zip(heads, maps) {
                XCTAssertEqual(got.count, maps[0].count)
                XCTAssertEqual(got.reduce(0, +), 1, accuracy: 1e-4, "a softmax over the regions")
                for (g, w) in zip(got, want) { XCTAssertEqual(g, w, accuracy: 1e-5) }
            }
            XCTAssertEqual((attention["mean"] as? [Double])?.count, maps[0].count)

            let form = HTTPExchange.multipart([("image", "2.png", try ServingBundles.png(2)), ("text", nil, Data("where is the blue square?".utf8)),
                                               ("top_k", nil, Data("2".utf8))])
            let uploaded = try await HTTPExchange.send(port, .post, "/v1/answer", body: form.body, contentType: form.contentType)
            XCTAssertEqual(uploaded.status, 200, uploaded.error.message)
            let two = try XCTUnwrap(uploaded.json["answers"] as? [[String: Any]])
            XCTAssertEqual(two.map { $0["label"] as? String }, expected.prefix(2).map(\.label))
            XCTAssertNil(uploaded.json["attention"])
        }
    }

    func testMatchScoresEveryTextOverJSONAndMultipart() async throws {
        let bundle = try ServingBundles.match
        let texts = ["where is the red square?", "where is the green square?", "where is the blue square?"]
        let expected = try predictor(bundle).match(image: try PNG.decode(try ServingBundles.png(0)), texts: texts)
        try await serve(bundle) { port, _ in
            let reply = try await HTTPExchange.send(port, .post, "/v1/match", body: HTTPExchange.json(
                ["image": try ServingBundles.png(0).base64EncodedString(), "texts": texts]))
            XCTAssertEqual(reply.status, 200, reply.error.message)
            let matches = try XCTUnwrap(reply.json["matches"] as? [[String: Any]])
            XCTAssertEqual(matches.map { $0["text"] as? String }, texts)
            for (got, want) in zip(matches, expected) {
                XCTAssertEqual(got["score"] as! Double, want.score, accuracy: 1e-5)
                XCTAssertEqual(got["probability"] as! Double, want.probability!, accuracy: 1e-5)
            }
            let form = HTTPExchange.multipart([("image", "0.png", try ServingBundles.png(0))] + texts.map { ("texts", nil, Data($0.utf8)) })
            let uploaded = try await HTTPExchange.send(port, .post, "/v1/match", body: form.body, contentType: form.contentType)
            XCTAssertEqual((uploaded.json["matches"] as? [[String: Any]])?.compactMap { $0["score"] as? Double }.count, 3, uploaded.error.message)
        }
    }

    /// A PNG whose IHDR says `width`×`height` (with a correct CRC), so libpng reads the header as written.
    private static func png(width: UInt32, height: UInt32) throws -> Data {
        var data = [UInt8](try ServingBundles.png(0))
        for (offset, value) in [(16, width), (20, height)] {
            for k in 0..<4 { data[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data[12..<29] {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        crc ^= 0xFFFF_FFFF
        for k in 0..<4 { data[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
        return Data(data)
    }

    func testEveryBadInputGetsAJSONErrorNamingItsFieldAndTheServerGoesOn() async throws {
        let png = try ServingBundles.png(1)
        let jpeg = try JPEG.encode(try PNG.decode(png), quality: 90)
        var limits = ServingLimits()
        (limits.maxBodyBytes, limits.maxTextChars) = (64 * 1024, 40)
        @Sendable func image(_ data: Data, _ text: String = "where is the green square?") -> Data { HTTPExchange.json(["image": data.base64EncodedString(), "text": text]) }
        let cases: [(name: String, path: String, body: Data, contentType: String?, status: Int, code: String, field: String?, says: String)] = [
            ("body over the limit", "/v1/answer", Data(repeating: 0x20, count: 65 * 1024), "application/json", 413, "body_too_large", nil, "65536 bytes"),
            ("not an image", "/v1/answer", image(Data("hello, world".utf8)), "application/json", 400, "invalid_image", "image", "neither a PNG nor a JPEG"),
            ("not base64", "/v1/answer", HTTPExchange.json(["image": "*** not base64 ***", "text": "x"]), "application/json", 400, "invalid_image", "image", "not base64"),
            ("truncated PNG", "/v1/answer", image(png.prefix(png.count / 2)), "application/json", 400, "invalid_image", "image", "not a valid PNG"),
            ("truncated JPEG", "/v1/answer", image(jpeg.prefix(jpeg.count / 2)), "application/json", 400, "invalid_image", "image", "not a valid JPEG"),
            ("0 pixels wide", "/v1/answer", image(try Self.png(width: 0, height: 24)), "application/json", 400, "invalid_image", "image", "PNG"),
            ("over 10,000 pixels a side", "/v1/answer", image(try Self.png(width: 10_001, height: 1)), "application/json", 400, "invalid_image", "image",
             "at most 10000 pixels a side"),
            ("empty text", "/v1/answer", image(png, "  "), "application/json", 400, "invalid_text", "text", "is empty"),
            ("text over the limit", "/v1/answer", image(png, String(repeating: "where ", count: 10)), "application/json", 400, "invalid_text", "text",
             "over the limit of 40"),
            ("malformed JSON", "/v1/answer", Data("{\"image\": \"abc\",\n \"text\": }".utf8), "application/json", 400, "malformed_json", nil,
             "at line 2, column 10"),
            ("JSON nested 20,000 deep", "/v1/answer", Data(("{\"image\": " + String(repeating: "[", count: 20_000) + "}").utf8), "application/json",
             400, "malformed_json", nil, "Too many nested"),
            ("not an object", "/v1/answer", Data("[1, 2]".utf8), "application/json", 400, "malformed_json", nil, "an array"),
            ("unknown field", "/v1/answer", HTTPExchange.json(["image": png.base64EncodedString(), "text": "x", "topk": 3]), "application/json",
             400, "invalid_topk", "topk", "top_k"),
            ("top_k out of range", "/v1/answer", HTTPExchange.json(["image": png.base64EncodedString(), "text": "x", "top_k": 0]), "application/json",
             400, "invalid_top_k", "top_k", "from 1 to 4"),
            ("missing image", "/v1/answer", HTTPExchange.json(["text": "x"]), "application/json", 400, "invalid_image", "image", "missing"),
            ("form without boundary", "/v1/answer", Data("x".utf8), "multipart/form-data; boundary=zz", 400, "malformed_multipart", nil, "no boundary"),
            ("another media type", "/v1/answer", Data("image=x".utf8), "application/x-www-form-urlencoded", 415, "unsupported_media_type", nil,
             "Content-Type: application/json"),
            ("match on a classify model", "/v1/match", HTTPExchange.json(["image": png.base64EncodedString(), "texts": ["x"]]), "application/json",
             400, "wrong_route", nil, "POST /v1/answer"),
            ("unknown route", "/v2/answer", image(png), "application/json", 404, "not_found", nil, "openapi.json"),
        ]
        try await serve(try ServingBundles.classify, limits: limits) { port, _ in
            let good = try await HTTPExchange.send(port, .post, "/v1/answer", body: image(png))
            XCTAssertEqual(good.status, 200, good.error.message)
            // A declared length over the limit is refused from the head alone: 1 of the 50 MB declared is ever sent.
            let head = try HTTPExchange.raw(port, "POST /v1/answer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                                                  + "Content-Length: 50000000\r\n\r\n{")
            XCTAssertTrue(head.hasPrefix("HTTP/1.1 413"), head)
            XCTAssertTrue(head.contains(#""code":"body_too_large""#), head)
            for bad in cases {
                let reply = try await HTTPExchange.send(port, .post, bad.path, body: bad.body, contentType: bad.contentType)
                XCTAssertEqual(reply.status, bad.status, "\(bad.name): \(reply.error.message)")
                XCTAssertEqual(reply.headers[.contentType], "application/json", bad.name)
                XCTAssertEqual(reply.error.code, bad.code, "\(bad.name): \(reply.error.message)")
                XCTAssertEqual(reply.error.field, bad.field, bad.name)
                XCTAssertTrue(reply.error.message.contains(bad.says), "\(bad.name): \(reply.error.message)")
                let next = try await HTTPExchange.send(port, .post, "/v1/answer", body: image(png))
                XCTAssertEqual(next.status, 200, "after \(bad.name): \(next.error.message)")
                XCTAssertEqual(next.json["answers"] as? NSArray, good.json["answers"] as? NSArray, "after \(bad.name)")
            }
        }
        try await serve(try ServingBundles.classify) { port, _ in
            for (method, path, allow) in [(HTTPRequest.Method.get, "/v1/answer", "POST"), (.delete, "/healthz", "GET")] {
                let reply = try await HTTPExchange.send(port, method, path)
                XCTAssertEqual(reply.status, 405, "\(method) \(path)")
                XCTAssertEqual(reply.headers[.allow], allow)
                XCTAssertEqual(reply.error.code, "method_not_allowed")
                XCTAssertTrue(reply.error.message.contains("\(path) takes \(allow), not \(method.rawValue)"), reply.error.message)
            }
            let next = try await HTTPExchange.send(port, .post, "/v1/answer", body: image(png))
            XCTAssertEqual(next.status, 200)
        }
        try await serve(try ServingBundles.concat) { port, _ in
            let reply = try await HTTPExchange.send(port, .post, "/v1/answer", body: HTTPExchange.json(
                ["image": png.base64EncodedString(), "text": "where is the green square?", "attention": true]))
            XCTAssertEqual(reply.status, 400)
            XCTAssertEqual(reply.error.field, "attention")
            XCTAssertTrue(reply.error.message.contains("concat model has no cross-attention"), reply.error.message)
        }
        try await serve(try ServingBundles.match) { port, _ in
            for (body, field, says) in [(image(png), nil as String?, "POST /v1/match"),
                                        (HTTPExchange.json(["image": png.base64EncodedString(), "texts": [String]()]), "texts", "send 1 to 64"),
                                        (HTTPExchange.json(["image": png.base64EncodedString(), "texts": "one"]), "texts", "expected an array")] {
                let path = field == nil ? "/v1/answer" : "/v1/match"
                let reply = try await HTTPExchange.send(port, .post, path, body: body)
                XCTAssertEqual(reply.status, 400)
                XCTAssertEqual(reply.error.field, field)
                XCTAssertTrue(reply.error.message.contains(says), reply.error.message)
            }
        }
    }

    func testConcurrentRequestsShareForwardPassesAndGetTheirOneAtATimeAnswers() async throws {
        let bundle = try ServingBundles.classify
        let texts = ["where is the red square?", "where is the green square?", "where is the blue square?"]
        let questions = (0..<32).map { (image: $0 % 24, text: texts[$0 % 3]) }
        let alone = try predictor(bundle)
        let expected = try questions.map { try alone.answer(image: try PNG.decode(try ServingBundles.png($0.image)), text: $0.text, topK: 4) }
        var limits = ServingLimits()
        limits.batchWaitMilliseconds = 50
        let lines = LogLines()
        let logger = Logger(label: "serving-tests") { _ in lines.handler }
        try await serve(bundle, limits: limits, logger: logger) { port, server in
            let replies = try await withThrowingTaskGroup(of: (Int, HTTPExchange).self) { group in
                for (n, q) in questions.enumerated() {
                    let body = try question(q.image, q.text, extra: ["top_k": 4])
                    group.addTask { (n, try await HTTPExchange.send(port, .post, "/v1/answer", body: body)) }
                }
                return try await group.reduce(into: [Int: HTTPExchange]()) { $0[$1.0] = $1.1 }
            }
            for (n, want) in expected.enumerated() {
                let reply = try XCTUnwrap(replies[n])
                XCTAssertEqual(reply.status, 200, reply.error.message)
                let answers = try XCTUnwrap(reply.json["answers"] as? [[String: Any]])
                XCTAssertEqual(answers.map { $0["label"] as? String }, want.map(\.label), "question \(n)")
                for (got, w) in zip(answers, want) { XCTAssertEqual(got["probability"] as! Double, w.probability, accuracy: 1e-5, "question \(n)") }
            }
            let sizes = replies.values.compactMap(\.batchSize)
            XCTAssertEqual(sizes.count, 32)
            XCTAssertGreaterThan(sizes.max()!, 1, "some requests shared a forward pass")
            let metrics = String(decoding: try await HTTPExchange.send(port, .get, "/metrics").body, as: UTF8.self)
            let passes = try XCTUnwrap(Self.value(#"crossmodal_batch_size_count{route="/v1/answer"}"#, in: metrics))
            XCTAssertLessThan(passes, 32, "32 requests in fewer forward passes:\n\(metrics)")
            XCTAssertEqual(Self.value(#"crossmodal_batch_size_sum{route="/v1/answer"}"#, in: metrics), 32)
            _ = server
        }
        let answered = lines.all.filter { $0.contains("POST /v1/answer 200") }
        XCTAssertEqual(answered.count, 32, "one log line per request: \(lines.all.prefix(3))")
        XCTAssertTrue(answered.allSatisfy { $0.range(of: #" \d+\.\d ms batch \d+$"#, options: .regularExpression) != nil }, "\(answered.prefix(3))")
    }

    private static func value(_ series: String, in metrics: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    func testAFullQueueAnswers503WithRetryAfterAndThenServesAgain() async throws {
        var limits = ServingLimits()
        (limits.maxQueue, limits.maxBatch, limits.batchWaitMilliseconds) = (2, 32, 1_500)
        try await serve(try ServingBundles.classify, limits: limits) { port, _ in
            let body = try question(0)
            let waiting = (0..<2).map { _ in Task { try await HTTPExchange.send(port, .post, "/v1/answer", body: body) } }
            try await Task.sleep(for: .milliseconds(500))
            let refused = try await HTTPExchange.send(port, .post, "/v1/answer", body: body)
            XCTAssertEqual(refused.status, 503)
            XCTAssertEqual(refused.headers[.retryAfter], "1")
            XCTAssertEqual(refused.error.code, "queue_full")
            XCTAssertTrue(refused.error.message.contains("--max-queue"), refused.error.message)
            for task in waiting {
                let reply = try await task.value
                XCTAssertEqual(reply.status, 200)
                XCTAssertEqual(reply.batchSize, 2)
            }
            let again = try await HTTPExchange.send(port, .post, "/v1/answer", body: body)
            XCTAssertEqual(again.status, 200)
        }
    }
}

/// Every message logged through `handler` (a value-type log handler, as swift-log wants, sharing this store).
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }

    var handler: some LogHandler { Handler(store: self) }

    private struct Handler: LogHandler {
        let store: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            store.lock.withLock { store.lines.append(event.message.description) }
        }
    }
}
