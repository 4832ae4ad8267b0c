import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An answer the API gives instead of a result: an HTTP status and the JSON body
/// `{"error": {"code", "message", "field"}}`, where `field` names the request field at fault (when one is).
public struct APIError: Error, Equatable, HTTPResponseError {
    public let status: HTTPResponse.Status
    /// Stable, machine-readable: "invalid_image", "invalid_text", "malformed_json", "body_too_large", …
    public let code: String
    /// What was expected, what was found, and how to fix it.
    public let message: String
    public let field: String?
    /// Headers sent with it: `Retry-After` with a 503, `Allow` with a 405.
    public let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil, headers: HTTPFields = [:]) {
        (self.status, self.code, self.message, self.field, self.headers) = (status, code, message, field, headers)
    }

    /// 400 for a request field: `invalid_<field>` naming it.
    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_\(field)", message, field: field)
    }

    /// The error body as JSON.
    public var json: JSONValue {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        error["field"] = field.map(JSONValue.string) ?? .null
        return ["error": .object(error)]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response { response() }

    /// The HTTP response: status, headers and the JSON body.
    public func response() -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.encoded())))
    }

    /// Any error a route or the server throws, as the API reports it: an `APIError` as it is, the body limit as
    /// 413, an unknown path as 404 and a known path with another method as 405 (`methods` maps each path to its
    /// methods), Hummingbird's other HTTP errors with their status, anything else as a 500.
    static func from(_ error: any Error, request: Request, methods: [String: [String]], maxBodyBytes: Int) -> APIError {
        switch error {
        case let error as APIError: return error
        case is NIOTooManyBytesError: return bodyTooLarge(maxBodyBytes)
        case let error as HTTPError where error.status == .notFound:
            if let route = RouteTemplate.match(request.uri.path, in: methods.keys), let allowed = methods[route] {
                let list = allowed.joined(separator: ", ")
                return APIError(.methodNotAllowed, code: "method_not_allowed", "\(request.uri.path) takes \(list), not \(request.method)",
                                headers: [.allow: list])
            }
            return APIError(.notFound, code: "not_found", "no such route; the routes are listed at GET /openapi.json")
        case let error as HTTPError:
            return APIError(error.status, code: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                            error.body ?? error.status.reasonPhrase + "; the routes and their methods are listed at GET /openapi.json")
        default:
            return APIError(.internalServerError, code: "internal", "the server failed to answer: \(error)")
        }
    }

    static func bodyTooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large",
                 "the request body is over the server's limit of \(limit) bytes (--max-body-bytes); send a smaller image")
    }
}
