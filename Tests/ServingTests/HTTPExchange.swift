import Foundation
import Glibc
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// One request to a server on 127.0.0.1, each on a connection of its own (so a refused body cannot disturb the
/// next request), through HummingbirdTesting's client; and the reply, parsed.
struct HTTPExchange: Sendable {
    let status: Int
    let headers: HTTPFields
    let body: Data

    /// The body as a JSON object (empty when it is none).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    /// The API error's code, field and message.
    var error: (code: String?, field: String?, message: String) {
        let error = json["error"] as? [String: Any] ?? [:]
        return (error["code"] as? String, error["field"] as? String, error["message"] as? String ?? String(decoding: body, as: UTF8.self))
    }
    var batchSize: Int? { headers[HTTPField.Name("X-Batch-Size")!].flatMap(Int.init) }

    static func send(_ port: Int, _ method: HTTPRequest.Method, _ path: String, body: Data? = nil,
                     contentType: String? = "application/json", headers extra: HTTPFields = [:]) async throws -> HTTPExchange {
        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(60))) { client in
            var headers = extra
            if let contentType, body != nil { headers[.contentType] = contentType }
            let response = try await client.execute(.init(path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }))
            return HTTPExchange(status: response.status.code, headers: response.headers,
                                body: response.body.map { Data($0.readableBytesView) } ?? Data())
        }
    }

    /// Writes `request` as it is on a plain TCP connection and returns what the server answers (up to 64 KB, or
    /// what arrives within 10 s): for requests a well-behaved client cannot send, such as a body shorter than
    /// its declared length.
    static func raw(_ port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = Array(request.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        var reply = [UInt8](repeating: 0, count: 65_536), count = 0
        while count < reply.count {
            let n = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + count, $0.count - count, 0) }
            guard n > 0 else { break }
            count += n
            if String(decoding: reply[..<count], as: UTF8.self).contains("}}") { break }
        }
        return String(decoding: reply[..<count], as: UTF8.self)
    }

    /// A JSON body.
    static func json(_ object: [String: Any]) -> Data { try! JSONSerialization.data(withJSONObject: object) }

    /// A multipart/form-data body of `fields` (a file when it has a file name) and its content type.
    static func multipart(_ fields: [(name: String, filename: String?, data: Data)]) -> (body: Data, contentType: String) {
        let boundary = "crossmodal-test-\(UUID().uuidString)"
        var body = Data()
        for field in fields {
            let file = field.filename.map { "; filename=\"\($0)\"\r\nContent-Type: application/octet-stream" } ?? ""
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field.name)\"\(file)\r\n\r\n".utf8) + field.data + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return (body, "multipart/form-data; boundary=\(boundary)")
    }
}
