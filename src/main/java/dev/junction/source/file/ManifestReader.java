package dev.junction.source.file;

import dev.junction.source.ObjectValidator;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.util.Yaml;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Turns the text of one manifest file (YAML, possibly multi-document, or JSON) into validated
 * Service, EndpointSlice and Node objects, all or nothing.
 *
 * <p>Documents are read one by one with client-java's SnakeYAML setup instead of
 * {@code Yaml.loadAll}, because {@code loadAll} accepts any apiVersion group for a known kind
 * ({@code foo/v1 Service} becomes a {@code V1Service}), turns unknown kinds into
 * {@code DynamicKubernetesObject}, and silently drops (with its own ERROR log) a document that is
 * not a mapping. The typed object is then built the way client-java builds it: dump the mapping
 * and load it as the model class, which rejects unknown fields as {@code kubectl apply} does.
 *
 * <p>Stateless and thread-safe.
 */
final class ManifestReader {

    private static final Map<String, Class<? extends KubernetesObject>> ACCEPTED = Map.of(
            "v1/Service", V1Service.class,
            "discovery.k8s.io/v1/EndpointSlice", V1EndpointSlice.class,
            "v1/Node", V1Node.class);
    private static final String ACCEPTED_TEXT = "v1 Service, discovery.k8s.io/v1 EndpointSlice or v1 Node";
    private static final Pattern PROPERTY = Pattern.compile("^Cannot create property=(\\S+) for JavaBean=");
    private static final String MODEL_PACKAGE = "io.kubernetes.client.openapi.models.";

    private final ObjectValidator validator;

    ManifestReader(ObjectValidator validator) {
        this.validator = validator;
    }

    /**
     * Reads every document of {@code text}; empty documents are skipped.
     *
     * @throws InvalidManifestException naming the first bad document and why
     */
    List<KubernetesObject> read(String text) throws InvalidManifestException {
        List<KubernetesObject> objects = new ArrayList<>();
        Map<ObjectKey, Integer> seen = new HashMap<>();
        Iterator<Object> documents = Yaml.getSnakeYaml().loadAll(text).iterator();
        int number = 0;
        while (true) {
            number++;
            Object document;
            try {
                if (!documents.hasNext()) {
                    return objects;
                }
                document = documents.next();
            } catch (RuntimeException e) {
                // The parser is lazy, so a syntax error surfaces at the document that holds it.
                throw new InvalidManifestException("document " + number + ": invalid YAML: " + describeSyntax(e));
            }
            if (document == null) {
                continue;
            }
            KubernetesObject object = toObject(document, number);
            List<String> problems = validator.validate(object);
            if (!problems.isEmpty()) {
                throw new InvalidManifestException("document " + number + ": " + String.join("; ", problems));
            }
            normalizeNamespace(object);
            Integer earlier = seen.putIfAbsent(ObjectKey.of(object), number);
            if (earlier != null) {
                throw new InvalidManifestException("document " + number + ": " + ObjectKey.of(object)
                        + " is already defined by document " + earlier);
            }
            objects.add(object);
        }
    }

    private static KubernetesObject toObject(Object document, int number) throws InvalidManifestException {
        if (!(document instanceof Map<?, ?> map)) {
            throw new InvalidManifestException("document " + number
                    + ": not a Kubernetes object (expected a mapping with apiVersion and kind)");
        }
        Object apiVersion = map.get("apiVersion");
        Object kind = map.get("kind");
        if (!(apiVersion instanceof String) || !(kind instanceof String)) {
            throw new InvalidManifestException("document " + number + ": "
                    + (kind instanceof String ? "apiVersion" : "kind") + ": missing or not a string");
        }
        Class<? extends KubernetesObject> type = ACCEPTED.get(apiVersion + "/" + kind);
        if (type == null) {
            throw new InvalidManifestException("document " + number + ": unsupported object " + apiVersion + ' '
                    + kind + " (a manifest directory holds " + ACCEPTED_TEXT + ")");
        }
        try {
            return Yaml.loadAs(Yaml.getSnakeYaml(type).dump(map), type);
        } catch (RuntimeException e) {
            throw new InvalidManifestException("document " + number + ": " + describeMapping(e));
        }
    }

    private static void normalizeNamespace(KubernetesObject object) {
        if (object instanceof V1Node) {
            // Nodes are cluster-scoped: the API server ignores a namespace on them, and so do we.
            object.getMetadata().setNamespace(null);
        } else if (object.getMetadata().getNamespace() == null || object.getMetadata().getNamespace().isEmpty()) {
            object.getMetadata().setNamespace("default");
        }
    }

    /** One line from SnakeYAML's multi-line message: where and what, positions in the file. */
    private static String describeSyntax(RuntimeException e) {
        if (e instanceof MarkedYAMLException marked) {
            String where = position(marked.getProblemMark());
            String context = marked.getContext() == null ? ""
                    : " (" + marked.getContext() + " at " + position(marked.getContextMark()) + ")";
            return where + ": " + firstLine(marked.getProblem()) + context;
        }
        return firstLine(e.getMessage());
    }

    private static String position(Mark mark) {
        if (mark == null) {
            return "unknown position";
        }
        return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }

    /**
     * Builds "spec.ports.port: reason" from the chain of "Cannot create property=…" exceptions.
     * Positions are left out: they point into the re-dumped text, not into the file.
     */
    private static String describeMapping(Throwable e) {
        StringBuilder path = new StringBuilder();
        Throwable cause = e;
        while (true) {
            if (cause instanceof MarkedYAMLException marked && marked.getContext() != null) {
                Matcher m = PROPERTY.matcher(marked.getContext());
                if (m.find()) {
                    path.append(path.length() == 0 ? "" : ".").append(m.group(1));
                }
            }
            if (cause.getCause() == null || cause.getCause() == cause) {
                break;
            }
            cause = cause.getCause();
        }
        String reason = cause instanceof MarkedYAMLException marked ? marked.getProblem() : cause.getMessage();
        reason = firstLine(reason).replace(MODEL_PACKAGE, "");
        return path.length() == 0 ? reason : path + ": " + reason;
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "unknown error";
        }
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).strip();
    }
}
