package dev.junction.source;

import java.util.ArrayList;
import java.util.List;

/**
 * The API server's syntax for names, label keys and label values (apimachinery's {@code IsDNS1123Label},
 * {@code IsDNS1123Subdomain}, {@code IsDNS1035Label}, {@code IsQualifiedName}, {@code IsValidLabelValue}),
 * with its reasons. Each method returns the reasons {@code value} breaks the rule, empty when it keeps it.
 * Stateless.
 */
final class KubeNames {

    private static final String QUALIFIED_NAME_RULE = "must consist of alphanumeric characters, '-', '_' or '.', "
            + "and must start and end with an alphanumeric character";
    private static final int LABEL_MAX = 63;
    private static final int SUBDOMAIN_MAX = 253;

    private KubeNames() {
    }

    /** Namespaces, Service port and EndpointSlice port names. */
    static List<String> dns1123Label(String value) {
        return check(value, LABEL_MAX, isDns1123Label(value, 0, value.length()), "a DNS-1123 label must consist of "
                + "lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
    }

    /** EndpointSlice and Node names. */
    static List<String> dns1123Subdomain(String value) {
        return check(value, SUBDOMAIN_MAX, isDns1123Subdomain(value, 0, value.length()), "a DNS-1123 subdomain must "
                + "consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
                + "alphanumeric character");
    }

    /** Service names. */
    static List<String> dns1035Label(String value) {
        return check(value, LABEL_MAX, isDns1035Label(value), "a DNS-1035 label must consist of lower case "
                + "alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric "
                + "character");
    }

    /** Label keys: an optional DNS-1123 subdomain prefix and '/', then a name of up to 63 characters. */
    static List<String> qualifiedName(String value) {
        int slash = value.indexOf('/');
        if (slash != value.lastIndexOf('/')) {
            return List.of("a qualified name is a name with an optional DNS subdomain prefix and '/'");
        }
        // Every label of every EndpointSlice change comes here: the valid key is decided without a copy.
        int nameLength = value.length() - slash - 1;
        boolean prefixValid = slash < 0 || slash > 0 && slash <= SUBDOMAIN_MAX && isDns1123Subdomain(value, 0, slash);
        boolean nameValid = nameLength > 0 && nameLength <= LABEL_MAX
                && isQualifiedName(value, slash + 1, value.length());
        if (prefixValid && nameValid) {
            return List.of();
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
            check(name, LABEL_MAX, isQualifiedName(name, 0, name.length()), QUALIFIED_NAME_RULE)
                    .forEach(reason -> reasons.add("name part " + reason));
        }
        return reasons;
    }

    /** Label values, and zone names in topology hints. */
    static List<String> labelValue(String value) {
        return check(value, LABEL_MAX, value.isEmpty() || isQualifiedName(value, 0, value.length()), "a label value "
                + "must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                + "with an alphanumeric character");
    }

    private static List<String> check(String value, int max, boolean matches, String rule) {
        // Too long is reason enough, whatever the characters.
        if (value.length() > max) {
            return List.of("must be no more than " + max + " characters");
        }
        return matches ? List.of() : List.of(rule);
    }

    // The matchers below are apimachinery's regular expressions written out by hand: a java.util.regex match
    // allocates a Matcher and its group arrays, and names are checked on every change of the watch.

    /** {@code [a-z0-9]([-a-z0-9]*[a-z0-9])?} over {@code value[from, to)}. */
    private static boolean isDns1123Label(String value, int from, int to) {
        if (from >= to || !isLowerAlphanumeric(value.charAt(from)) || !isLowerAlphanumeric(value.charAt(to - 1))) {
            return false;
        }
        for (int i = from + 1; i < to - 1; i++) {
            char c = value.charAt(i);
            if (c != '-' && !isLowerAlphanumeric(c)) {
                return false;
            }
        }
        return true;
    }

    /** DNS-1123 labels joined by '.' over {@code value[from, to)}. */
    private static boolean isDns1123Subdomain(String value, int from, int to) {
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i == to || value.charAt(i) == '.') {
                if (!isDns1123Label(value, start, i)) {
                    return false;
                }
                start = i + 1;
            }
        }
        return true;
    }

    /** {@code [a-z]([-a-z0-9]*[a-z0-9])?}. */
    private static boolean isDns1035Label(String value) {
        if (value.isEmpty()) {
            return false;
        }
        char first = value.charAt(0);
        return first >= 'a' && first <= 'z' && isDns1123Label(value, 0, value.length());
    }

    /** {@code ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]} over {@code value[from, to)}. */
    private static boolean isQualifiedName(String value, int from, int to) {
        if (from >= to || !isAlphanumeric(value.charAt(from)) || !isAlphanumeric(value.charAt(to - 1))) {
            return false;
        }
        for (int i = from + 1; i < to - 1; i++) {
            char c = value.charAt(i);
            if (c != '-' && c != '_' && c != '.' && !isAlphanumeric(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLowerAlphanumeric(char c) {
        return c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
    }

    private static boolean isAlphanumeric(char c) {
        return isLowerAlphanumeric(c) || c >= 'A' && c <= 'Z';
    }
}
