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
    /// Seconds a client should wait before retrying (sent as `Retry-After`).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil, retryAfter: Int? = nil) {
        (self.status, self.code, self.message, self.field, self.retryAfter) = (status, code, message, field, retryAfter)
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

    /// The HTTP response: status, JSON body, and `Retry-After` when set.
    public func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.encoded())))
    }

    /// Any error a route or the server throws, as the API reports it: an `APIError` as it is, the body limit as
    /// 413, Hummingbird's own HTTP errors (404, 405, …) with their status, anything else as a 500.
    static func from(_ error: any Error, maxBodyBytes: Int) -> APIError {
        switch error {
        case let error as APIError: return error
        case is NIOTooManyBytesError: return bodyTooLarge(maxBodyBytes)
        case let error as HTTPError where error.status == .notFound:
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
