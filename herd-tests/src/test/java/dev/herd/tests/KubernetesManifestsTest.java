package dev.herd.tests;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.Annotated;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 18, item 5: the example Kubernetes manifests (herd-examples/deploy/kubernetes) against the Kubernetes API's
 * schema, as the fabric8 model has it: read strictly (a key the API does not have, or a value of the wrong type,
 * fails), then the values a zero-loss rollout depends on, checked against the Herd settings file in the ConfigMap
 * as {@code herd config check} reads it: the readiness probe asks the master's ECV on its API port, the preStop hook
 * disables the ECV and waits, and the grace period covers that wait and the workers' drain timeout.
 */
class KubernetesManifestsTest {
    static final Path DIR = Herd.HOME.resolve("herd-examples/deploy/kubernetes");
    private static final YAMLMapper YAML = YAMLMapper.builder().build();
    /**
     * The fabric8 model keeps keys it does not know in an any-setter map (additionalProperties), so that a client
     * can talk to newer servers; a schema check wants them refused: no any-setter, unknown properties fail.
     */
    private static final JsonMapper STRICT = JsonMapper.builder()
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(MapperConfig<?> config, Annotated annotated) {
                    return Boolean.FALSE;
                }
            })
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    record Manifests(ConfigMap configMap, Deployment deployment, Service service) {
    }

    /** Every document of every .yaml file in the directory, read strictly as the object its kind names. */
    static Manifests read(Map<String, String> files) {
        List<Object> objects = new ArrayList<>();
        files.forEach((file, text) -> {
            for (JsonNode node : YAML.readerFor(JsonNode.class).<JsonNode>readValues(text).readAll()) {
                if (node == null || node.isNull()) {
                    continue; // an empty document
                }
                String kind = node.path("kind").asString();
                String apiVersion = node.path("apiVersion").asString();
                Class<?> type = switch (kind + " " + apiVersion) {
                    case "ConfigMap v1" -> ConfigMap.class;
                    case "Service v1" -> Service.class;
                    case "Deployment apps/v1" -> Deployment.class;
                    default -> throw new AssertionError(file + ": an object this test does not know: " + kind + " "
                            + apiVersion);
                };
                try {
                    objects.add(STRICT.treeToValue(node, type));
                } catch (RuntimeException e) {
                    throw new AssertionError(file + ": not a valid " + kind + ": " + e.getMessage(), e);
                }
            }
        });
        return new Manifests(one(objects, ConfigMap.class), one(objects, Deployment.class), one(objects, Service.class));
    }

    private static <T> T one(List<Object> objects, Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as(type.getSimpleName() + " objects").hasSize(1);
        return found.getFirst();
    }

    static Map<String, String> files() throws IOException {
        Map<String, String> files = new java.util.TreeMap<>();
        try (Stream<Path> list = Files.list(DIR)) {
            for (Path file : list.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                files.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        return files;
    }

    @Test
    void theManifestsAreValidObjectsOfTheKubernetesApi() throws IOException {
        Manifests manifests = read(files());
        assertThat(manifests.configMap().getMetadata().getName()).isNotBlank();
        assertThat(manifests.deployment().getMetadata().getName()).isNotBlank();
        assertThat(manifests.service().getMetadata().getName()).isNotBlank();
        PodSpec pod = manifests.deployment().getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers()).isNotEmpty().allSatisfy(c -> {
            assertThat(c.getName()).isNotBlank();
            assertThat(c.getImage()).isNotBlank();
        });
        Map<String, String> podLabels = manifests.deployment().getSpec().getTemplate().getMetadata().getLabels();
        assertThat(manifests.deployment().getSpec().getSelector().getMatchLabels()).isNotEmpty();
        assertThat(podLabels).as("the Deployment selects its own pods")
                .containsAllEntriesOf(manifests.deployment().getSpec().getSelector().getMatchLabels());
        assertThat(manifests.service().getSpec().getSelector()).isNotEmpty();
        assertThat(podLabels).as("the Service selects the Deployment's pods")
                .containsAllEntriesOf(manifests.service().getSpec().getSelector());
    }

    @Test
    void aKeyOrValueTheApiDoesNotHaveIsRefused() throws IOException {
        Map<String, String> files = files();
        String deployment = files.get("deployment.yaml");
        Map<String, String> typo = new java.util.TreeMap<>(files);
        typo.put("deployment.yaml", deployment.replace("readinessProbe:", "readinesProbe:"));
        assertThatThrownBy(() -> read(typo)).hasMessageContaining("deployment.yaml").hasMessageContaining("readinesProbe");
        Map<String, String> wrongType = new java.util.TreeMap<>(files);
        wrongType.put("deployment.yaml", deployment.replace("periodSeconds: 2", "periodSeconds: often"));
        assertThatThrownBy(() -> read(wrongType)).hasMessageContaining("deployment.yaml").hasMessageContaining("often");
    }

    @Test
    void podsLeaveRotationBeforeTheyStopAndDrainWithinTheGracePeriod() throws IOException {
        Manifests manifests = read(files());
        PodSpec pod = manifests.deployment().getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers()).hasSize(1);
        Container container = pod.getContainers().getFirst();

        // the master reads the ConfigMap's settings file where the ConfigMap is mounted
        List<String> command = container.getCommand();
        assertThat(command.subList(0, 3)).isEqualTo(List.of("herd", "run", "-c"));
        Path configFile = Path.of(command.get(3));
        Volume configVolume = pod.getVolumes().stream()
                .filter(v -> v.getConfigMap() != null
                        && v.getConfigMap().getName().equals(manifests.configMap().getMetadata().getName()))
                .findFirst().orElseThrow(() -> new AssertionError("no volume of the ConfigMap"));
        assertThat(mountPath(container, configVolume.getName()).resolve(configFile.getFileName())).isEqualTo(configFile);
        String settingsText = manifests.configMap().getData().get(configFile.getFileName().toString());
        assertThat(settingsText).as("the settings file in the ConfigMap").isNotNull();
        Map<String, Object> settings = effectiveSettings(settingsText);

        // ready while the master's ECV says so, on the API port, which the kubelet can reach
        Probe readiness = container.getReadinessProbe();
        assertThat(readiness.getHttpGet().getPath()).isEqualTo("/ecv");
        assertThat(portNumber(container, readiness.getHttpGet().getPort())).isEqualTo(settings.get("api-port"));
        assertThat(settings.get("api-host")).as("the API listens on the pod's address").isIn("0.0.0.0", "::");
        assertThat(settings.get("no-api")).isEqualTo(false);
        if (container.getLivenessProbe() != null && container.getLivenessProbe().getHttpGet() != null) {
            assertThat(container.getLivenessProbe().getHttpGet().getPath())
                    .as("a liveness probe on /ecv would restart a pod taken out of rotation").isNotEqualTo("/ecv");
        }

        // the Service sends to the port the master listens on
        IntOrString target = manifests.service().getSpec().getPorts().getFirst().getTargetPort();
        assertThat(portNumber(container, target)).isEqualTo(settings.get("port"));

        // preStop: out of rotation first, then a wait longer than it takes the probe to see it
        String preStop = String.join(" ", container.getLifecycle().getPreStop().getExec().getCommand());
        assertThat(preStop).contains("herd ecv --state-dir " + settings.get("state-dir") + " disable");
        assertThat(container.getVolumeMounts()).extracting(VolumeMount::getMountPath)
                .as("the state dir is a volume of its own").contains((String) settings.get("state-dir"));
        Matcher sleep = Pattern.compile("sleep (\\d+)").matcher(preStop);
        assertThat(sleep.find()).as("preStop waits: " + preStop).isTrue();
        long waitSeconds = Long.parseLong(sleep.group(1));
        int probeSeconds = readiness.getPeriodSeconds() * readiness.getFailureThreshold();
        assertThat(waitSeconds).as("the preStop wait, above the readiness probe's period x failure threshold "
                + probeSeconds + " s and a few seconds for the endpoints").isGreaterThanOrEqualTo(probeSeconds + 5L);

        // the grace period covers the wait and the drain
        Duration drain = duration((String) settings.get("drain-timeout"));
        long grace = pod.getTerminationGracePeriodSeconds();
        System.out.println("[kubernetes] preStop wait " + waitSeconds + " s + drain-timeout " + drain.toSeconds()
                + " s < terminationGracePeriodSeconds " + grace + " s");
        assertThat(grace).isGreaterThan(waitSeconds + drain.toSeconds());

        // a rolling update starts a new pod before it stops an old one
        assertThat(manifests.deployment().getSpec().getStrategy().getRollingUpdate().getMaxUnavailable())
                .isEqualTo(new IntOrString(0));
    }

    /** The settings as 'herd config check' prints them: the file's, and the defaults for the rest. */
    private static Map<String, Object> effectiveSettings(String text) throws IOException {
        Path file = Herd.newDir().resolve("herd.yaml");
        Files.writeString(file, text);
        Shell.Result check = Shell.run(Herd.LAUNCHER.toString(), "config", "check", file.toString());
        assertThat(check.code()).as("herd config check of the ConfigMap's settings file:\n" + check.output()).isZero();
        String yaml = check.output().lines().filter(l -> !l.startsWith("[picocli")).reduce("", (a, b) -> a + b + "\n");
        return YAML.readValue(yaml, new TypeReference<Map<String, Object>>() {
        });
    }

    private static Path mountPath(Container container, String volume) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).map(VolumeMount::getMountPath)
                .map(Path::of).findFirst().orElse(null);
    }

    /** A probe's or Service's port: a number, or the name of one of the container's ports. */
    private static int portNumber(Container container, IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return container.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()));
    }

    private static Duration duration(String text) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(text);
        assertThat(m.matches()).as("a duration: " + text).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
