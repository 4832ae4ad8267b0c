import Foundation

/// A `multipart/form-data` body (RFC 7578): its parts in order, each with its field name, file name (for
/// uploads) and bytes.
struct MultipartForm {
    struct Part {
        let name: String
        let filename: String?
        let data: Data
    }

    let parts: [Part]

    /// The boundary of a `multipart/form-data; boundary=…` content type (quoted or not); nil for another type.
    static func boundary(contentType: String) -> String? {
        let items = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard items.first?.lowercased() == "multipart/form-data" else { return nil }
        for item in items.dropFirst() where item.lowercased().hasPrefix("boundary=") {
            let value = item.dropFirst("boundary=".count)
            return String(value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? value.dropFirst().dropLast() : value)
        }
        return nil
    }

    /// Parses `body` split by `boundary`; throws a message saying what is wrong for a body that is not one.
    init(body: Data, boundary: String) throws(APIError) {
        let delimiter = Data("--\(boundary)".utf8), crlf = Data("\r\n".utf8)
        func malformed(_ why: String) -> APIError {
            APIError(.badRequest, code: "malformed_multipart", "the multipart/form-data body \(why); send each field as a part "
                     + "with Content-Disposition: form-data; name=\"…\", separated by the boundary of the Content-Type header")
        }
        guard !boundary.isEmpty, let first = body.range(of: delimiter) else { throw malformed("has no boundary --\(boundary)") }
        var parts: [Part] = []
        var cursor = first.upperBound
        while true {
            // After a boundary: "--" ends the form, CRLF starts a part.
            if body[cursor...].starts(with: Data("--".utf8)) { break }
            guard body[cursor...].starts(with: crlf) else { throw malformed("has a boundary not followed by a line break") }
            let start = cursor + 2
            guard let headerEnd = body.range(of: Data("\r\n\r\n".utf8), in: start..<body.endIndex) else {
                throw malformed("has a part without the blank line that ends its headers")
            }
            guard let next = body.range(of: crlf + delimiter, in: headerEnd.upperBound..<body.endIndex) else {
                throw malformed("ends inside a part (no closing boundary --\(boundary)--)")
            }
            let headers = String(decoding: body[start..<headerEnd.lowerBound], as: UTF8.self)
            guard let disposition = headers.components(separatedBy: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition:") }),
                  let name = Self.parameter("name", in: disposition) else {
                throw malformed("has a part without Content-Disposition: form-data; name=\"…\"")
            }
            parts.append(Part(name: name, filename: Self.parameter("filename", in: disposition),
                              data: Data(body[headerEnd.upperBound..<next.lowerBound])))
            cursor = next.upperBound
        }
        self.parts = parts
    }

    /// The value of `key="…"` (or unquoted) in a Content-Disposition header line.
    private static func parameter(_ key: String, in line: String) -> String? {
        for item in line.split(separator: ";").dropFirst().map({ $0.trimmingCharacters(in: .whitespaces) })
        where item.lowercased().hasPrefix(key + "=") {
            let value = item.dropFirst(key.count + 1)
            return String(value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? value.dropFirst().dropLast() : value)
        }
        return nil
    }
}
