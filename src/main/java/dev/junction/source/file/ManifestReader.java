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
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Turns the text of one manifest file (YAML, possibly multi-document, or JSON) into validated
 * Service, EndpointSlice and Node objects, all or nothing.
 *
 * <p>Documents are read one by one with client-java's SnakeYAML setup instead of
 * {@code Yaml.loadAll}, because {@code loadAll} accepts any apiVersion group for a known kind
 * ({@code foo/v1 Service} becomes a {@code V1Service}), turns unknown kinds into
 * {@code DynamicKubernetesObject}, and silently drops (with its own ERROR log) a document that is
 * not a mapping. The typed object is then built with client-java's constructor from the mapping's
 * node (what dumping the mapping and loading that text as the model class would build, without the
 * text), which rejects unknown fields as {@code kubectl apply} does; before that,
 * {@link FieldTypes} refuses wrong-typed fields, which the bean loader would read as unset or convert.
 *
 * <p>The parser is bounded against hostile text: at most {@link #MAX_CODE_POINTS} per document, 50 aliases
 * to collections (the "billion laughs"), 50 levels of nesting, no duplicate keys (refused by the API
 * server's YAML decoder too). Plain scalars that look like timestamps stay strings, as in the API server's
 * YAML-to-JSON conversion.
 *
 * <p>Stateless and thread-safe; each {@link #read} builds its own parsers (SnakeYAML's are not thread-safe)
 * and reuses them for every document of the file.
 */
final class ManifestReader {

    private static final Map<String, Class<? extends KubernetesObject>> ACCEPTED = Map.of(
            "v1/Service", V1Service.class,
            "discovery.k8s.io/v1/EndpointSlice", V1EndpointSlice.class,
            "v1/Node", V1Node.class);
    private static final String ACCEPTED_TEXT = "v1 Service, discovery.k8s.io/v1 EndpointSlice or v1 Node";
    private static final Pattern PROPERTY = Pattern.compile("^Cannot create property=(\\S+) for JavaBean=");
    private static final String MODEL_PACKAGE = "io.kubernetes.client.openapi.models.";
    /** The manifest source refuses larger files unread, so no document of a file it reads reaches this. */
    private static final int MAX_CODE_POINTS = ManifestSource.MAX_FILE_BYTES;
    private static final int MAX_ALIASES = 50;
    private static final int MAX_NESTING = 50;

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
        Map<Class<?>, Yaml.CustomConstructor> typed = new HashMap<>();
        org.yaml.snakeyaml.Yaml tree = treeYaml();
        NodeComposer composer = new NodeComposer();
        Iterator<Object> documents = tree.loadAll(text).iterator();
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
            KubernetesObject object = toObject(document, number, tree, composer, typed);
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

    private static KubernetesObject toObject(Object document, int number, org.yaml.snakeyaml.Yaml tree,
            NodeComposer composer, Map<Class<?>, Yaml.CustomConstructor> typed) throws InvalidManifestException {
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
        String wrongType = FieldTypes.problem(map, type);
        if (wrongType != null) {
            throw new InvalidManifestException("document " + number + ": " + wrongType);
        }
        try {
            // The mapping's node, as dumping it would write it and the parse of that text would return it: the
            // same tags (scalars by their Java type; a string that looks like a number stays a string), without
            // writing and re-reading the text, which was half of the decoding of a directory at start.
            Yaml.CustomConstructor constructor = typed.computeIfAbsent(type, t -> {
                Yaml.CustomConstructor c = new Yaml.CustomConstructor(t, limits());
                c.setComposer(composer);
                return c;
            });
            composer.next = tree.represent(map);
            return type.cast(constructor.getSingleData(type));
        } catch (RuntimeException e) {
            throw new InvalidManifestException("document " + number + ": " + describeMapping(e));
        }
    }

    /** Hands the constructors of one read the node set last, instead of composing one from text. */
    private static final class NodeComposer extends Composer {
        private Node next;

        NodeComposer() {
            super(new ParserImpl(new StreamReader(""), limits()), new Resolver(), limits());
        }

        @Override
        public Node getSingleNode() {
            Node node = next;
            next = null;
            return node;
        }
    }

    private static LoaderOptions limits() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_CODE_POINTS);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setNestingDepthLimit(MAX_NESTING);
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        return options;
    }

    /** The parser of the untyped tree: SnakeYAML's safe constructor, timestamps left as text. */
    private static org.yaml.snakeyaml.Yaml treeYaml() {
        LoaderOptions options = limits();
        SafeConstructor constructor = new SafeConstructor(options) {
            {
                yamlConstructors.put(Tag.TIMESTAMP, yamlConstructors.get(Tag.STR));
            }
        };
        DumperOptions dumper = new DumperOptions();
        return new org.yaml.snakeyaml.Yaml(constructor, new Representer(dumper), dumper, options);
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
     * Positions are left out: the typed construction works on a node rebuilt from the mapping, not on the file.
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
