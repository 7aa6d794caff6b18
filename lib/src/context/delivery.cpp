#include <imgspec/context/delivery.hpp>

#include <utility>

namespace imgspec::context {

namespace {

class TarDelivery final : public Delivery {
  public:
    TarDelivery(const plan::Manifest& context, std::string dockerfile_path, TarOptions options)
        : m_context(context), m_dockerfile_path(std::move(dockerfile_path)),
          m_options(std::move(options)) {}

    DeliveryKind kind() const override { return DeliveryKind::tar; }
    std::vector<std::string> buildx_args() const override { return {"-f", m_dockerfile_path, "-"}; }
    void write_stdin(int fd) override { write_tar_to_fd(m_context, m_options, fd); }

  private:
    const plan::Manifest& m_context;
    std::string m_dockerfile_path;
    TarOptions m_options;
};

} // namespace

std::string_view delivery_name(DeliveryKind kind) {
    (void)kind;
    return "tar";
}

std::unique_ptr<Delivery> tar_delivery(const plan::Manifest& context, std::string dockerfile_path,
                                       TarOptions options) {
    return std::make_unique<TarDelivery>(context, std::move(dockerfile_path), std::move(options));
}

} // namespace imgspec::context
