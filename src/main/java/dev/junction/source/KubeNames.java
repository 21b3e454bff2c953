package dev.junction.source;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The API server's syntax for names, label keys and label values (apimachinery's {@code IsDNS1123Label},
 * {@code IsDNS1123Subdomain}, {@code IsDNS1035Label}, {@code IsQualifiedName}, {@code IsValidLabelValue}),
 * with its reasons. Each method returns the reasons {@code value} breaks the rule, empty when it keeps it.
 * Stateless.
 */
final class KubeNames {

    private static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final Pattern DNS1123_LABEL_PATTERN = Pattern.compile(DNS1123_LABEL);
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*");
    private static final Pattern DNS1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    private static final int LABEL_MAX = 63;
    private static final int SUBDOMAIN_MAX = 253;

    private KubeNames() {
    }

    /** Namespaces, Service port and EndpointSlice port names. */
    static List<String> dns1123Label(String value) {
        return check(value, LABEL_MAX, DNS1123_LABEL_PATTERN, "a DNS-1123 label must consist of lower case "
                + "alphanumeric characters or '-', and must start and end with an alphanumeric character");
    }

    /** EndpointSlice and Node names. */
    static List<String> dns1123Subdomain(String value) {
        return check(value, SUBDOMAIN_MAX, DNS1123_SUBDOMAIN, "a DNS-1123 subdomain must consist of lower case "
                + "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
    }

    /** Service names. */
    static List<String> dns1035Label(String value) {
        return check(value, LABEL_MAX, DNS1035_LABEL, "a DNS-1035 label must consist of lower case alphanumeric "
                + "characters or '-', start with an alphabetic character, and end with an alphanumeric character");
    }

    /** Label keys: an optional DNS-1123 subdomain prefix and '/', then a name of up to 63 characters. */
    static List<String> qualifiedName(String value) {
        int slash = value.indexOf('/');
        if (slash != value.lastIndexOf('/')) {
            return List.of("a qualified name is a name with an optional DNS subdomain prefix and '/'");
        }
        List<String> reasons = new ArrayList<>();
        if (slash >= 0) {
            String prefix = value.substring(0, slash);
            if (prefix.isEmpty()) {
                reasons.add("prefix part must be non-empty");
            } else {
                dns1123Subdomain(prefix).forEach(reason -> reasons.add("prefix part: " + reason));
            }
        }
        String name = value.substring(slash + 1);
        if (name.isEmpty()) {
            reasons.add("name part must be non-empty");
        } else {
            check(name, LABEL_MAX, QUALIFIED_NAME, "must consist of alphanumeric characters, '-', '_' or '.', "
                    + "and must start and end with an alphanumeric character")
                    .forEach(reason -> reasons.add("name part " + reason));
        }
        return reasons;
    }

    /** Label values, and zone names in topology hints. */
    static List<String> labelValue(String value) {
        return check(value, LABEL_MAX, LABEL_VALUE, "a label value must be empty or consist of alphanumeric "
                + "characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    }

    private static List<String> check(String value, int max, Pattern pattern, String rule) {
        // Too long is reason enough; a megabyte of name is not worth matching.
        if (value.length() > max) {
            return List.of("must be no more than " + max + " characters");
        }
        return pattern.matcher(value).matches() ? List.of() : List.of(rule);
    }
}
