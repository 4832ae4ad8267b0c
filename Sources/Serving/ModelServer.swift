import Encoders
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OwnData
import ServiceLifecycle

/// A trained bundle behind HTTP (`crossmodal serve`): `POST /v1/answer` and `/v1/match` (JSON or multipart, run
/// in dynamic batches on the engine's thread), `/v1/retrieve` with `GET /v1/images/{id}` (a matching model with an
/// image index), `GET /` (a page to try the model in a browser), `/healthz`, `/metrics` (Prometheus) and `/openapi.json`.
/// Every failure is answered as JSON `{"error": {"code", "message", "field"}}`; SIGTERM or SIGINT stop accepting,
/// finish the requests in flight (up to `limits.drainSeconds`) and return.
public final class ModelServer: @unchecked Sendable {
    public let bundle: ModelBundle
    public let limits: ServingLimits
    /// Every route the router holds, as "METHOD /path", in registration order.
    public private(set) var routes: [String] = []
    let engine: ModelEngine
    let metrics = ServingMetrics()
    private let logger: Logger
    private let directory: URL
    private let openAPI: JSONValue
    private var router: Router<BasicRequestContext>!
    private var applicationMade = false

    /// Loads the bundle in `directory` (its pretrained encoders from `cacheRoot`) and runs one forward pass, so
    /// the first request finds everything loaded. With `index` (a manifest, or a folder of PNG and JPEG files) a
    /// matching model's retrieval index is built first: its images encoded once, frozen features through the cache.
    public init(model directory: URL, limits: ServingLimits = ServingLimits(), logger: Logger = Logger(label: "crossmodal.serve"),
                cacheRoot: URL = ModelCache.root(), index indexURL: URL? = nil) throws {
        let (bundle, model) = try ModelBundle.load(directory)
        (self.bundle, self.limits, self.logger, self.directory) = (bundle, limits, logger, directory)
        let index = try indexURL.map { url in
            guard bundle.model.task == .match else {
                throw ServingError.unusableIndex(path: url.path, reason: "this model was trained with --task \(bundle.model.task.rawValue) "
                                                 + "and scores no image–text pairs; serve a model trained with --task match")
            }
            var isFolder: ObjCBool = false
            let manifest = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
                ? try RetrievalIndex.manifest(folder: url) : try Manifest.load(url)
            guard !manifest.entries.isEmpty else {
                throw ServingError.unusableIndex(path: url.path, reason: "it holds no images; give a manifest or a folder of PNG or JPEG files")
            }
            return try RetrievalIndex(model: model, manifest: manifest, pipeline: InputPipeline(config: bundle.model, cacheRoot: cacheRoot))
        }
        engine = ModelEngine(predictor: ImageTextPredictor(model: model, cacheRoot: cacheRoot), index: index, limits: limits, metrics: metrics)
        try engine.warmUp()
        openAPI = OpenAPIDocument.make(title: directory.lastPathComponent, limits: limits)
        router = makeRouter()
    }

    /// The Hummingbird application on `host`:`port` (0 = any free port), with the engine as one of its services;
    /// `onRunning` gets the bound port once the server listens. One per `ModelServer` (the engine stops with it).
    public func application(host: String = "127.0.0.1", port: Int = 8080,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        precondition(!applicationMade, "ModelServer.application: one ModelServer serves one application; make another ModelServer")
        applicationMade = true
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "crossmodal"),
                    services: [engine], onServerRunning: { await onRunning($0.localAddress?.port ?? port) }, logger: logger)
    }

    /// Serves (as `application`, so once per `ModelServer`) until SIGTERM or SIGINT, then drains: no new connections, requests in flight answered (for at most
    /// `limits.drainSeconds`), queued batches run; returns when all is done.
    public func run(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        var configuration = ServiceGroupConfiguration(services: [application(host: host, port: port, onRunning: onRunning)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(limits.drainSeconds * 1000))
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EACCES {
            throw ServingError.cannotListen(host: host, port: port, reason: error.errnoCode == EADDRINUSE
                                            ? "the address is already in use: stop the other server or pass --port 0 for any free port"
                                            : "permission denied: ports below 1024 need root; pick a port from 1024 up")
        }
    }

    private func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let methods = ["/": ["GET"], "/v1/answer": ["POST"], "/v1/match": ["POST"], "/v1/retrieve": ["POST"], "/v1/images/{id}": ["GET"],
                       "/healthz": ["GET"], "/metrics": ["GET"], "/openapi.json": ["GET"]]
        router.add(middleware: RequestLogMiddleware(logger: logger, metrics: metrics, limits: limits, methods: methods))
        func register(_ method: HTTPRequest.Method, _ path: String,
                      _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
            precondition(methods[path]?.contains(method.rawValue) == true, "ModelServer: \(method) \(path) missing from the middleware's routes")
            router.on(RouterPath(path), method: method) { request, context in try await handler(request, context) }
            routes.append("\(method.rawValue) \(path)")
        }
        let page = ByteBuffer(string: WebPage.html)
        register(.get, "/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: page))
        }
        register(.post, "/v1/answer") { [unowned self] request, _ in try await answer(request) }
        register(.post, "/v1/match") { [unowned self] request, _ in try await match(request) }
        register(.post, "/v1/retrieve") { [unowned self] request, _ in try await retrieve(request) }
        register(.get, "/v1/images/{id}") { [unowned self] _, context in try image(context.parameters.get("id") ?? "") }
        register(.get, "/healthz") { [unowned self] _, _ in json(health) }
        register(.get, "/metrics") { [unowned self] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        register(.get, "/openapi.json") { [unowned self] _, _ in json(openAPI) }
        precondition(routes.count == methods.values.joined().count, "ModelServer: \(routes) registered for \(methods)")
        return router
    }

    private var health: JSONValue {
        let config = bundle.model, grid = engine.predictor.model.grid
        return ["status": "ok", "model": .string(directory.lastPathComponent), "task": .string(config.task.rawValue),
                "fusion": .string(config.fusion.rawValue), "image_encoder": .string(config.imageEncoder.rawValue),
                "text_encoder": .string(config.textEncoder.rawValue), "labels": .number(Double(config.labels.count)),
                "grid": [.number(Double(grid.height)), .number(Double(grid.width))], "index": .number(Double(engine.index?.count ?? 0))]
    }

    private func wrongRoute(_ right: String) -> APIError {
        let task = bundle.model.task
        return APIError(.badRequest, code: "wrong_route", "this model was trained with --task \(task.rawValue): "
                        + (task == .match ? "it scores image–text pairs and has no labels" : "it answers with labels and scores no pairs")
                        + "; send this request to POST \(right)")
    }

    private func answer(_ request: Request) async throws -> Response {
        guard bundle.model.task == .classify else { throw wrongRoute("/v1/match") }
        let fields = try await RequestFields.read(request, limits: limits, allowed: ["image", "text", "top_k", "attention"])
        let image = try fields.image("image", limits: limits), text = try fields.text("text", limits: limits)
        let labels = bundle.model.labels.count
        let topK = try fields.int("top_k", default: min(5, labels), in: 1...max(labels, 1))
        let attention = try fields.bool("attention", default: false)
        guard !attention || engine.predictor.hasAttention else {
            throw APIError.invalid("attention", "a \(bundle.model.fusion.rawValue) model has no cross-attention to show; "
                                   + "send attention: false (maps need --fusion cross-attention or co-attention)")
        }
        let (output, batchSize) = try await engine.submit(.answer(image: image, text: text, topK: topK, attention: attention))
        guard case let .answer(answer) = output else { preconditionFailure("ModelServer: \(output) for /v1/answer") }
        var body: [String: JSONValue] = ["answers": .array(answer.labels.map { ["label": .string($0.label), "probability": .number($0.probability)] })]
        if let maps = answer.attention {
            let grid = engine.predictor.model.grid
            let mean = maps[0].indices.map { i in maps.map { $0[i] }.reduce(0, +) / Double(maps.count) }
            body["attention"] = ["grid": [.number(Double(grid.height)), .number(Double(grid.width))],
                                 "heads": .array(maps.map { .array($0.map(JSONValue.number)) }), "mean": .array(mean.map(JSONValue.number))]
        }
        return json(.object(body), batchSize: batchSize)
    }

    private func match(_ request: Request) async throws -> Response {
        guard bundle.model.task == .match else { throw wrongRoute("/v1/answer") }
        let fields = try await RequestFields.read(request, limits: limits, allowed: ["image", "texts"])
        let image = try fields.image("image", limits: limits), texts = try fields.texts("texts", limits: limits)
        let (output, batchSize) = try await engine.submit(.match(image: image, texts: texts))
        guard case let .match(matches) = output else { preconditionFailure("ModelServer: \(output) for /v1/match") }
        return json(["matches": .array(zip(texts, matches).map { text, match in
            ["text": .string(text), "score": .number(match.score), "probability": match.probability.map(JSONValue.number) ?? .null]
        })], batchSize: batchSize)
    }

    private func retrieve(_ request: Request) async throws -> Response {
        guard bundle.model.task == .match else { throw wrongRoute("/v1/answer") }
        guard let index = engine.index else {
            throw APIError(.notFound, code: "no_index", "this server has no image index to search; start it with --index MANIFEST or --index FOLDER")
        }
        let fields = try await RequestFields.read(request, limits: limits, allowed: ["text", "top_k"])
        let text = try fields.text("text", limits: limits)
        let topK = try fields.int("top_k", default: min(10, index.count), in: 1...min(limits.maxTopK, index.count))
        let (output, batchSize) = try await engine.submit(.retrieve(text: text, topK: topK))
        guard case let .retrieve(hits) = output else { preconditionFailure("ModelServer: \(output) for /v1/retrieve") }
        return json(["results": .array(hits.map { hit in
            ["id": .string(String(hit.image)), "image": .string(index.names[hit.image]), "score": .number(Double(hit.score))]
        })], batchSize: batchSize)
    }

    /// An indexed image's file, by the id `/v1/retrieve` gave it; anything else (another path, an unknown id) is 404.
    private func image(_ id: String) throws -> Response {
        let count = engine.index?.count ?? 0
        guard let index = engine.index, let n = Int(id), String(n) == id, (0..<count).contains(n) else {
            throw APIError(.notFound, code: "not_found", "no indexed image has id \"\(id)\"; ids are the ones POST /v1/retrieve returns"
                           + (count > 0 ? " (0…\(count - 1))" : " and this server has no index"))
        }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: index.urls[n])
        } catch {
            throw APIError(.internalServerError, code: "image_unreadable", "indexed image \(n) (\(index.names[n])) can no longer be read: \(error)")
        }
        let type = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? "image/png" : "image/jpeg"
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func json(_ value: JSONValue, batchSize: Int? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let batchSize { headers[RequestLogMiddleware<BasicRequestContext>.batchSizeHeader] = String(batchSize) }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.encoded())))
    }
}
