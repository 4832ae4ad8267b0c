/// Which registered route path a request path is: a literal path, or a template whose `{name}` segments match
/// any one non-empty segment (`/v1/images/{id}`). Metrics label requests by it and 405s are decided by it.
enum RouteTemplate {
    /// The template of `templates` that `path` matches, or nil.
    static func match(_ path: String, in templates: some Collection<String>) -> String? {
        if templates.contains(path) { return path }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return templates.first { template in
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == segments.count && zip(parts, segments).allSatisfy { part, segment in
                part == segment || (part.hasPrefix("{") && part.hasSuffix("}") && !segment.isEmpty)
            }
        }
    }
}
