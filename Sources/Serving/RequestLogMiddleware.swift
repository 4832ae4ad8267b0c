import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Around every route: turns any error into the API's JSON error response (so a bad request never takes the
/// server down and every client sees the same error shape), counts the response in the metrics, and logs one
/// line per request: method, path, status, milliseconds and the batch size it ran in (`-` when none).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: ServingMetrics
    let limits: ServingLimits
    /// The registered paths (or templates, `RouteTemplate`) with their methods; any other path is counted as
    /// "unmatched" (bounding the metrics' label values), and a registered path asked with another method is answered 405.
    let methods: [String: [String]]

    /// The response header carrying the size of the batch a request ran in.
    static var batchSizeHeader: HTTPField.Name { HTTPField.Name("X-Batch-Size")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = APIError.from(error, request: request, methods: methods, maxBodyBytes: limits.maxBodyBytes).response()
        }
        let elapsed = ContinuousClock.now - start
        let path = request.uri.path
        metrics.request(route: RouteTemplate.match(path, in: methods.keys) ?? "unmatched", status: response.status.code, duration: elapsed)
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        logger.info("\(request.method) \(path) \(response.status.code) \(String(format: "%.1f", milliseconds)) ms batch \(response.headers[Self.batchSizeHeader] ?? "-")")
        return response
    }
}
